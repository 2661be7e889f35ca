"""Bearer tokens and their scopes: "write" for every route but the results of probe agents,
which need "results"; none for the document. `routes` says which scope a route needs.
"""

from __future__ import annotations

from flask import g, request

from statuspage.staff import Actor
from statuspage.staff.tokens import authenticate, has_scope
from statuspage.web.api_v1.errors import ApiError

REALM = 'Bearer realm="statuspage"'


def require_token(scope: str | None) -> None:
    """Refuse a request without an unrevoked token of this scope (None: no token needed)."""
    if scope is None or request.method == "OPTIONS":
        return
    scheme, _, presented = request.headers.get("Authorization", "").strip().partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise ApiError(
            401,
            "unauthorized",
            "send a token in the Authorization header: `Authorization: Bearer <token>`",
            "Authorization",
            {"WWW-Authenticate": REALM},
        )
    token = authenticate(presented)
    if token is None:
        raise ApiError(
            401,
            "unauthorized",
            "the bearer token in the Authorization header is unknown or revoked",
            "Authorization",
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if not has_scope(token, scope):
        raise ApiError(
            403,
            "forbidden",
            f"token {token.name!r} has scope {token.scope!r}; this route needs scope {scope!r}",
            "Authorization",
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )
    g.api_token = token


def actor() -> Actor:
    """Return who the audit log says made this request: its token."""
    return Actor(f"token:{g.api_token.name}")
