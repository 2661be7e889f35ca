"""The one shape of every refusal of /api/v1: {"error": code, "message": text, "field": name}.

Plain functions: `routes` registers them as the blueprint's error handlers and hooks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from statuspage import staff
from statuspage.store.db import db
from statuspage.web.api_v1 import PREFIX

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
}


# A heartbeat's key travels in its path (/api/v1/heartbeats/<key>): no message repeats it.
_HEARTBEAT_KEY_IN_PATH = re.compile(rf"({re.escape(PREFIX)}/heartbeats/)[^/\s?#\"]+")


def redact_path(text: str) -> str:
    """Return text with any heartbeat key in an API path replaced by "(redacted)"."""
    return _HEARTBEAT_KEY_IN_PATH.sub(lambda match: match[1] + "(redacted)", text)


class ApiError(Exception):
    """A request refused before it reached the service layer."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return the JSON error every refusal of this API uses."""
    response = jsonify({"error": code, "message": message, "field": field})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def too_large(limit: int) -> str:
    """Return the message of a body over the route's size limit."""
    return f"the request body is larger than {limit} bytes"


def answer_api_error(error: ApiError) -> Response:
    """Answer a refusal of this API's own checks."""
    return error_response(error.status, error.code, error.message, error.field, error.headers)


def answer_staff_error(error: staff.StaffError) -> Response:
    """Answer a refusal of the service layer (422 invalid, 409 conflict, 404 not found)."""
    # The service validates before writing; rolling back still drops any half-read state.
    db.session.rollback()
    return error_response(error.http_status, error.code, error.message, error.field)


def answer_http_error(error: HTTPException, body_limit: int) -> Response:
    """Answer Flask's and Werkzeug's own errors (413 while reading, 500) in the same shape."""
    status = error.code or 500
    message = error.description or error.name
    if status == 413:
        message = too_large(body_limit)
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    return error_response(status, HTTP_CODES.get(status, "error"), message, None, headers)


def answer_routing_error() -> Response | None:
    """Answer unknown routes and wrong methods under /api/v1 in JSON, not the site's HTML.

    A request that matched no route belongs to no blueprint, so the blueprint's error
    handlers never see it; app-wide hooks run before the routing error is raised, though.
    """
    error = request.routing_exception
    if error is None or not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return None
    path = redact_path(request.path)
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or []))
        return error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {path} (allowed: {allowed})",
            None,
            {"Allow": allowed},
        )
    if isinstance(error, NotFound):
        return error_response(
            404,
            "not_found",
            f"no API route {path}: see {PREFIX}/openapi.json",
        )
    return None
