"""The site's /metrics for Prometheus: only for `Authorization: Bearer <METRICS_TOKEN>`.

Not a public page: 404 while STATUSPAGE_METRICS_TOKEN is unset, 401 without the token, never
cached (this blueprint is not one the response cache serves), and the token is never logged.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from statuspage.observe.site import scrape

bp = Blueprint("metrics", __name__)

NO_STORE = {"Cache-Control": "no-store"}


def _presented_token() -> str:
    """Return the bearer token the request carries, or an empty string."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_matches(presented: str, expected: str) -> bool:
    """Compare tokens in constant time (hashed first, so not even the length leaks)."""
    return hmac.compare_digest(_digest(presented), _digest(expected))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


@bp.get("/metrics")
def metrics() -> Response:
    """Serve the site's metrics to the holder of the metrics token."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    if not token_matches(_presented_token(), expected):
        return Response(
            "a bearer token is required\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE},
        )
    body = scrape(current_app.config["STATUS"])
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
