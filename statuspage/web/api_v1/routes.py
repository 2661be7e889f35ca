"""The write API, `/api/v1`: incidents, maintenance and component status, by bearer token,
and the results of probe agents at other locations.

Every view reads a JSON object, checks its shape (known keys, JSON types), then calls the
staff service layer, which validates the values and writes; a refused request changes nothing.
Each route is declared with the body it accepts and the token scope it needs, and
`/api/v1/openapi.json` is built from those declarations, so the document cannot drift from the
code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from probes import InvalidResult, Result
from statuspage import staff
from statuspage.config import StatusConfig
from statuspage.engine import ingest
from statuspage.reads.serializers import incident_json
from statuspage.reads.status import shown_statuses
from statuspage.staff import Actor
from statuspage.staff.tokens import authenticate, has_scope
from statuspage.store import limits
from statuspage.store.db import db, utcnow
from statuspage.store.models import Component, Incident
from statuspage.vocabulary import (
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Outcome,
)

PREFIX = "/api/v1"
MAX_BYTES = 64 * 1024
# A probe agent sends up to MAX_RESULTS results a request, each up to about 1 KiB as JSON
# (a 300-character reason, a 200-character probe key...): 64 KiB would hold only some 60.
RESULTS_MAX_BYTES = 1024 * 1024
MAX_RESULTS = 1000
# How far ahead of the site's clock a result may start. A result from the future would count
# as its location's newest for as long as the agent's clock is wrong, so it is refused.
MAX_CLOCK_SKEW = timedelta(minutes=5)
REALM = 'Bearer realm="statuspage"'
# Years a timestamp may have: wide enough for any backfill, narrow enough that converting
# between UTC and the site's time zone can never overflow Python's datetime range.
YEARS = (1970, 9998)
# The bodies nest two levels at most; anything much deeper is a mistake or an attack.
MAX_DEPTH = 16

bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)


# ---------------------------------------------------------------------------------------
# Errors: always {"error": code, "message": text, "field": name or null}.


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


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid",
    500: "internal_error",
}


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    """Answer a refusal of this module's own checks."""
    return error_response(error.status, error.code, error.message, error.field, error.headers)


@bp.errorhandler(staff.StaffError)
def _staff_error(error: staff.StaffError) -> Response:
    """Answer a refusal of the service layer (422 invalid, 409 conflict, 404 not found)."""
    # The service validates before writing; rolling back still drops any half-read state.
    db.session.rollback()
    return error_response(error.http_status, error.code, error.message, error.field)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Answer Flask's and Werkzeug's own errors (413 while reading, 500) in the same shape."""
    status = error.code or 500
    message = error.description or error.name
    if status == 413:
        message = _too_large()
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    return error_response(status, HTTP_CODES.get(status, "error"), message, None, headers)


@bp.before_app_request
def _routing_error_as_json() -> Response | None:
    """Answer unknown routes and wrong methods under /api/v1 in JSON, not the site's HTML.

    A request that matched no route belongs to no blueprint, so the blueprint's error
    handlers never see it; app-wide hooks run before the routing error is raised, though.
    """
    error = request.routing_exception
    if error is None or not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return None
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or []))
        return error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path} (allowed: {allowed})",
            None,
            {"Allow": allowed},
        )
    if isinstance(error, NotFound):
        return error_response(
            404,
            "not_found",
            f"no API route {request.path}: see {PREFIX}/openapi.json",
        )
    return None


# ---------------------------------------------------------------------------------------
# Authentication: a bearer token whose scope is the one the route declares ("write" for every
# route but the results of probe agents, which need "results"; none for the document).


@bp.before_request
def _require_token() -> None:
    """Refuse a request without an unrevoked token of the route's scope."""
    operation = ROUTES.get(request.endpoint or "")
    # Reading stops one byte past the limit, so a body sent without a length (chunked) that
    # is too large shows as too large instead of arriving cut short.
    request.max_content_length = _limit() + 1
    # A route not declared through route() needs scope write: refusing is the safe default.
    scope = operation.scope if operation else "write"
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


def _limit() -> int:
    """Return the body size limit of the route being served."""
    operation = ROUTES.get(request.endpoint or "")
    return operation.max_bytes if operation else MAX_BYTES


def _too_large() -> str:
    return f"the request body is larger than {_limit()} bytes"


def _actor() -> Actor:
    return Actor(f"token:{g.api_token.name}")


# ---------------------------------------------------------------------------------------
# Request bodies: each route declares the JSON object it accepts as JSON Schema per key.

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}
ARTICLES = {
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


@dataclass(frozen=True)
class Body:
    """The JSON object a route accepts: each key's JSON Schema, the required keys."""

    fields: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ()
    # PATCH: at least one key must carry a value.
    needs_one: bool = False
    # A body that may be left out entirely (an action with no parameters).
    optional: bool = False

    def schema(self) -> dict[str, Any]:
        """Return the JSON Schema of the whole object."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": self.fields,
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        if self.needs_one:
            schema["minProperties"] = 1
        return schema


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null, which every optional key accepts as "not given"."""
    result = dict(schema, type=[schema["type"], "null"])
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


NAME = {"type": "string", "minLength": 1, "maxLength": limits.EVENT_NAME}
TEXT = {
    "type": "string",
    "maxLength": limits.BODY,
    "description": "Markdown, stored as written. Empty or left out: the status's usual text.",
}
WHEN = {
    "type": "string",
    "format": "date-time",
    "description": f"ISO 8601 with an offset (Z or +02:00), years {YEARS[0]} to {YEARS[1]}.",
}
NOTIFY = {"type": "boolean", "description": "Ask subscribers to be notified of this update."}
INCIDENT_STATUS = {"type": "string", "enum": _values(IncidentStatus)}
ANY_STATUS = {"type": "string", "enum": _values(IncidentStatus) + _values(MaintenanceStatus)}
COMPONENT_STATUS = {"type": "string", "enum": _values(ComponentStatus)}
IMPACT = {
    "type": "string",
    "enum": _values(Impact),
    "description": "Left out or null: follows the worst affected component.",
}
COMPONENT_CHANGES = {
    "type": "object",
    "additionalProperties": COMPONENT_STATUS,
    "description": "Component slug to the status this event gives it.",
}
SLUGS = {"type": "array", "items": {"type": "string"}, "minItems": 1}

CREATE_INCIDENT = Body(
    {
        "name": NAME,
        "status": INCIDENT_STATUS,
        "body": _nullable(TEXT),
        "impact": _nullable(IMPACT),
        "components": _nullable(COMPONENT_CHANGES),
        "started_at": _nullable(
            dict(
                WHEN,
                description="Defaults to now; a past time with status resolved "
                "records a past incident.",
            )
        ),
        "resolved_at": _nullable(dict(WHEN, description="Only with status resolved.")),
        "notify": _nullable(NOTIFY),
    },
    required=("name", "status"),
)
POST_UPDATE = Body(
    {
        "status": ANY_STATUS,
        "body": _nullable(TEXT),
        "components": _nullable(COMPONENT_CHANGES),
        "notify": _nullable(NOTIFY),
    },
    required=("status",),
)
CHANGE_INCIDENT = Body(
    {
        "name": _nullable(NAME),
        "impact": _nullable(IMPACT),
        "postmortem": _nullable(
            dict(
                TEXT,
                maxLength=limits.POSTMORTEM,
                description="Markdown; only once resolved. Sets the status to postmortem.",
            )
        ),
    },
    needs_one=True,
)
SCHEDULE_MAINTENANCE = Body(
    {
        "name": NAME,
        "scheduled_for": WHEN,
        "scheduled_until": WHEN,
        "components": SLUGS,
        "body": _nullable(TEXT),
    },
    required=("name", "scheduled_for", "scheduled_until", "components"),
)
EDIT_MAINTENANCE = Body(
    {
        "name": _nullable(NAME),
        "scheduled_for": _nullable(WHEN),
        "scheduled_until": _nullable(WHEN),
        "components": _nullable(SLUGS),
    },
    needs_one=True,
)
NO_BODY = Body({}, optional=True)
SET_STATUS = Body({"status": COMPONENT_STATUS}, required=("status",))
# The longest text each result field may hold (the probe_result columns).
RESULT_LENGTHS = {
    "id": limits.RESULT_ID,
    "probe_key": limits.PROBE_KEY,
    "component": limits.SLUG,
    "location": limits.LOCATION,
    "reason": limits.REASON,
}
RESULT = {
    "type": "object",
    "description": "One run of one probe from one location, as `probes.Result.to_dict()` "
    "gives it. Keys not listed here are ignored.",
    "properties": {
        "id": {
            "type": "string",
            "minLength": 1,
            "maxLength": RESULT_LENGTHS["id"],
            "description": "Unique per result (a uuid4 hex). A result sent again is counted "
            "as a duplicate and stored once.",
        },
        "probe_key": {
            "type": "string",
            "maxLength": RESULT_LENGTHS["probe_key"],
            "description": "<component slug>/<probe slug>, like live-updates/update-check.",
        },
        "component": {"type": "string", "description": "A component slug of this site."},
        "location": {
            "type": "string",
            "minLength": 1,
            "maxLength": RESULT_LENGTHS["location"],
            "description": "Where the agent runs (its STATUSPAGE_LOCATION).",
        },
        "started_at": dict(
            WHEN,
            description="ISO 8601 with an offset; at most 5 minutes ahead of the site's clock.",
        ),
        "latency_ms": {"type": ["number", "null"], "minimum": 0},
        "outcome": {"type": "string", "enum": _values(Outcome)},
        "http_status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
        "reason": {"type": "string", "maxLength": RESULT_LENGTHS["reason"]},
    },
    "required": [
        "id",
        "probe_key",
        "component",
        "location",
        "started_at",
        "latency_ms",
        "outcome",
        "http_status",
        "reason",
    ],
}
RECORD_RESULTS = Body(
    {
        "results": {
            "type": "array",
            "items": RESULT,
            "maxItems": MAX_RESULTS,
            "description": "Recorded in order; a request with any invalid item records none.",
        }
    },
    required=("results",),
)


def read_body(spec: Body) -> dict[str, Any]:
    """Return the request's JSON object with every declared key, refusing anything else."""
    limit = _limit()
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", _too_large())
    raw = request.get_data(cache=True)
    if len(raw) > limit:  # a body sent without a Content-Length
        raise ApiError(413, "payload_too_large", _too_large())
    if spec.optional and not raw.strip():
        return dict.fromkeys(spec.fields)
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        got = request.mimetype or "none"
        raise ApiError(
            400, "bad_request", f"Content-Type must be application/json (got {got})", "Content-Type"
        )
    data = _parse_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object", None)
    unknown = [key for key in data if key not in spec.fields]
    if unknown:
        allowed = ", ".join(spec.fields) or "none"
        raise ApiError(
            422,
            "invalid",
            f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
            f"(allowed: {allowed})",
            unknown[0],
        )
    _check_values(data)
    for key in spec.required:
        if data.get(key) is None:
            raise ApiError(422, "invalid", f"{key} is required", key)
    for key, value in data.items():
        _check_type(key, value, spec.fields[key])
    if spec.needs_one and all(value is None for value in data.values()):
        raise ApiError(
            422, "invalid", f"nothing to change: give one of {', '.join(spec.fields)}", None
        )
    # Every declared key, null when not given: the service reads null as "not given".
    return dict.fromkeys(spec.fields) | data


def _parse_json(raw: bytes) -> Any:
    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "bad_request", "the body is not UTF-8 text", None) from None
    except RecursionError:
        raise ApiError(400, "bad_request", "the JSON is nested too deeply", None) from None
    except ValueError as error:
        raise ApiError(400, "bad_request", f"the body is not valid JSON: {error}", None) from None


def _check_values(data: dict[str, Any]) -> None:
    """Refuse deep nesting, and text no database column can hold (NUL, unpaired surrogates)."""
    # A loop, not recursion: how deep a request nests must not decide how deep Python goes.
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ApiError(400, "bad_request", f"the JSON nests deeper than {MAX_DEPTH}", None)
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else key
                _check_text(key, inner)
                pending.append((item, inner, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(422, "invalid", f"{path} contains an unpaired surrogate", path) from None
    if "\x00" in text:
        raise ApiError(422, "invalid", f"{path} contains a NUL character", path)


def _check_type(key: str, value: Any, schema: dict[str, Any]) -> None:
    """Check a value's JSON type (the service checks what the value means)."""
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    # bool is an int in Python; JSON keeps them apart, and so does this check.
    if not any(isinstance(value, JSON_TYPES[t]) for t in types):
        wanted = " or ".join(ARTICLES[t] for t in types)
        raise ApiError(422, "invalid", f"{key} must be {wanted}", key)
    if schema.get("format") == "date-time" and isinstance(value, str):
        _check_year(key, value)


def _check_year(key: str, value: str) -> None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return  # the service explains what is wrong with it
    try:
        year = moment.astimezone(UTC).year if moment.tzinfo else moment.year
    except OverflowError:
        year = moment.year
    if not YEARS[0] <= year <= YEARS[1]:
        raise ApiError(422, "invalid", f"{key} must be between {YEARS[0]} and {YEARS[1]}", key)


# ---------------------------------------------------------------------------------------
# Routes, each declared with what it accepts and answers (the document is built from this).


@dataclass(frozen=True)
class Operation:
    """One route of this API as the OpenAPI document describes it."""

    method: str
    rule: str
    endpoint: str
    summary: str
    body: Body | None
    status: int
    returns: str
    errors: tuple[int, ...] = ()
    # The token scope the route needs; None: no token at all.
    scope: str | None = "write"
    max_bytes: int = MAX_BYTES


OPERATIONS: list[Operation] = []
# The same operations by Flask endpoint name ("api_v1.create_incident").
ROUTES: dict[str, Operation] = {}


def route(
    method: str,
    rule: str,
    *,
    summary: str,
    body: Body | None = None,
    status: int = 200,
    returns: str = "Incident",
    errors: tuple[int, ...] = (),
    scope: str | None = "write",
    max_bytes: int = MAX_BYTES,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the blueprint and describe it for the OpenAPI document."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(rule, view_func=view, methods=[method])
        operation = Operation(
            method, rule, view.__name__, summary, body, status, returns, errors, scope, max_bytes
        )
        OPERATIONS.append(operation)
        ROUTES[f"{bp.name}.{view.__name__}"] = operation
        return view

    return register


def _config() -> StatusConfig:
    return current_app.config["STATUS"]


def _event(code: str, kind: str) -> Incident:
    """Return the incident (or maintenance) with this code, or raise NotFound."""
    event = staff.get_incident(code)
    if event.kind != kind:
        other = "maintenances" if event.is_maintenance else "incidents"
        raise staff.NotFound(
            f"no {kind} with code {code!r}: it is a {event.kind}, see {PREFIX}/{other}/{code}"
        )
    return event


def _created(event: Incident) -> ResponseReturnValue:
    view = "get_incident" if not event.is_maintenance else "get_maintenance"
    return incident_json(event), 201, {"Location": url_for(f"api_v1.{view}", code=event.code)}


@route(
    "POST",
    "/incidents",
    summary="Open an incident, or record a past one (status resolved, a past started_at)",
    body=CREATE_INCIDENT,
    status=201,
)
def create_incident() -> ResponseReturnValue:
    """Open an incident."""
    data = read_body(CREATE_INCIDENT)
    incident = staff.create_incident(_actor(), _config(), utcnow(), **data)
    return _created(incident)


@route("GET", "/incidents/<code>", summary="Read an incident", errors=(404,))
def get_incident(code: str) -> ResponseReturnValue:
    """Return an incident."""
    return incident_json(_event(code, EventKind.INCIDENT))


@route(
    "POST",
    "/incidents/<code>/updates",
    summary="Post an update to an incident, with any component status changes",
    body=POST_UPDATE,
    status=201,
    errors=(404, 409),
)
def post_incident_update(code: str) -> ResponseReturnValue:
    """Post an update to an incident."""
    data = read_body(POST_UPDATE)
    incident = _event(code, EventKind.INCIDENT)
    staff.post_update(_actor(), _config(), utcnow(), incident, **data)
    return incident_json(incident), 201


@route(
    "PATCH",
    "/incidents/<code>",
    summary="Rename an incident, set its impact, or publish its postmortem",
    body=CHANGE_INCIDENT,
    errors=(404, 409),
)
def change_incident(code: str) -> ResponseReturnValue:
    """Change an incident's name, impact or postmortem."""
    data = read_body(CHANGE_INCIDENT)
    incident = _event(code, EventKind.INCIDENT)
    staff.change_incident(_actor(), _config(), utcnow(), incident, **data)
    return incident_json(incident)


@route(
    "POST",
    "/maintenances",
    summary="Schedule a maintenance window over some components",
    body=SCHEDULE_MAINTENANCE,
    status=201,
    returns="Maintenance",
)
def schedule_maintenance() -> ResponseReturnValue:
    """Schedule a maintenance."""
    data = read_body(SCHEDULE_MAINTENANCE)
    maintenance = staff.schedule_maintenance(_actor(), _config(), utcnow(), **data)
    return _created(maintenance)


@route(
    "GET",
    "/maintenances/<code>",
    summary="Read a maintenance",
    returns="Maintenance",
    errors=(404,),
)
def get_maintenance(code: str) -> ResponseReturnValue:
    """Return a maintenance."""
    return incident_json(_event(code, EventKind.MAINTENANCE))


@route(
    "PATCH",
    "/maintenances/<code>",
    summary="Change a maintenance's name, window or components (until it completes)",
    body=EDIT_MAINTENANCE,
    returns="Maintenance",
    errors=(404, 409),
)
def edit_maintenance(code: str) -> ResponseReturnValue:
    """Change a maintenance's name, window or components."""
    data = read_body(EDIT_MAINTENANCE)
    maintenance = _event(code, EventKind.MAINTENANCE)
    staff.edit_maintenance(_actor(), _config(), utcnow(), maintenance, **data)
    return incident_json(maintenance)


@route(
    "POST",
    "/maintenances/<code>/updates",
    summary="Post an update to a maintenance (in_progress, verifying, completed...)",
    body=POST_UPDATE,
    status=201,
    returns="Maintenance",
    errors=(404, 409),
)
def post_maintenance_update(code: str) -> ResponseReturnValue:
    """Post an update to a maintenance."""
    data = read_body(POST_UPDATE)
    maintenance = _event(code, EventKind.MAINTENANCE)
    staff.post_update(_actor(), _config(), utcnow(), maintenance, **data)
    return incident_json(maintenance), 201


@route(
    "POST",
    "/maintenances/<code>/cancel",
    summary="Cancel a maintenance: it completes now, whether or not it began",
    body=NO_BODY,
    returns="Maintenance",
    errors=(404, 409),
)
def cancel_maintenance(code: str) -> ResponseReturnValue:
    """Cancel a maintenance."""
    read_body(NO_BODY)
    maintenance = _event(code, EventKind.MAINTENANCE)
    staff.cancel_maintenance(_actor(), _config(), utcnow(), maintenance)
    return incident_json(maintenance)


def _component_result(component: Component) -> dict[str, Any]:
    shown = shown_statuses([component], utcnow())[component.id]
    return {"component": component.slug, "manual_status": component.manual_status, "status": shown}


@route(
    "PUT",
    "/components/<slug>/status",
    summary="Set a component's status by hand; it holds until cleared",
    body=SET_STATUS,
    returns="ComponentStatusResult",
    errors=(404,),
)
def set_component_status(slug: str) -> ResponseReturnValue:
    """Set a component's manual status."""
    data = read_body(SET_STATUS)
    component = staff.set_component_status(_actor(), _config(), utcnow(), slug, data["status"])
    return _component_result(component)


@route(
    "DELETE",
    "/components/<slug>/status",
    summary="Clear a component's manual status: the probes and events decide again",
    returns="ComponentStatusResult",
    errors=(404,),
)
def clear_component_status(slug: str) -> ResponseReturnValue:
    """Clear a component's manual status."""
    component = staff.set_component_status(_actor(), _config(), utcnow(), slug, None)
    return _component_result(component)


@route(
    "POST",
    "/results",
    summary="Record probe results sent by an agent at another location (scope results)",
    body=RECORD_RESULTS,
    returns="ResultsRecorded",
    scope="results",
    max_bytes=RESULTS_MAX_BYTES,
)
def record_agent_results() -> ResponseReturnValue:
    """Record a batch of probe results exactly as the site's own probe process does."""
    items = read_body(RECORD_RESULTS)["results"]
    if len(items) > MAX_RESULTS:
        raise ApiError(
            422,
            "invalid",
            f"results holds {len(items)} results; send at most {MAX_RESULTS} per request",
            "results",
        )
    now = utcnow()
    components = {component.slug for component in _config().components}
    results = [_agent_result(index, item, components, now) for index, item in enumerate(items)]
    try:
        rows = ingest(results, _config(), now)
    except IntegrityError:
        # Another request stored some of these ids between our check and our insert (an
        # agent retrying a request still running): store the rest, as duplicates are skipped.
        db.session.rollback()
        rows = ingest(results, _config(), now)
    return {"accepted": len(rows), "duplicates": len(results) - len(rows)}


def _agent_result(index: int, item: Any, components: set[str], now: datetime) -> Result:
    """Return one item of a results request as a Result, or refuse the request naming it."""
    where = f"results[{index}]"
    try:
        result = Result.from_dict(item)
    except InvalidResult as error:
        field = f"{where}.{error.field}" if error.field else where
        raise ApiError(422, "invalid", f"{field} {error.problem}", field) from None
    for name, longest in RESULT_LENGTHS.items():
        if len(getattr(result, name)) > longest:
            field = f"{where}.{name}"
            raise ApiError(422, "invalid", f"{field} is longer than {longest} characters", field)
    if result.component not in components:
        field = f"{where}.component"
        known = ", ".join(sorted(components))
        raise ApiError(
            422,
            "invalid",
            f"{field}: no component {result.component!r} on this site (it has: {known})",
            field,
        )
    if not result.probe_key.startswith(result.component + "/"):
        field = f"{where}.probe_key"
        raise ApiError(
            422, "invalid", f"{field} must start with its component, {result.component}/", field
        )
    field = f"{where}.started_at"
    try:
        started = result.started_at.astimezone(UTC)
    except OverflowError:
        raise ApiError(422, "invalid", f"{field} is out of range", field) from None
    if started.year < YEARS[0]:
        raise ApiError(422, "invalid", f"{field} is before {YEARS[0]}", field)
    if started > now + MAX_CLOCK_SKEW:
        raise ApiError(
            422,
            "invalid",
            f"{field} is {started.isoformat()}, ahead of the site's clock ({now.isoformat()}) "
            "by more than 5 minutes: check the agent's clock",
            field,
        )
    return result


@route(
    "GET",
    "/openapi.json",
    summary="This document (no token needed)",
    returns="OpenAPI",
    scope=None,
)
def openapi() -> ResponseReturnValue:
    """Return the OpenAPI 3.1 document of this API."""
    return openapi_document(current_app.config["STATUS"].site.url)


# ---------------------------------------------------------------------------------------
# The OpenAPI document.

_TIME = {"type": ["string", "null"], "format": "date-time"}
_COMPONENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": COMPONENT_STATUS,
        "created_at": _TIME,
        "updated_at": _TIME,
        "position": {"type": "integer"},
        "description": {"type": ["string", "null"]},
        "showcase": {"type": "boolean"},
        "start_date": {"type": ["string", "null"], "format": "date"},
        "group_id": {"type": ["string", "null"]},
        "page_id": {"type": "string"},
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
    },
}
_UPDATE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": ANY_STATUS,
        "body": {"type": "string", "description": "As written (markdown), not HTML."},
        "incident_id": {"type": "string"},
        "created_at": _TIME,
        "updated_at": _TIME,
        "display_at": _TIME,
        "affected_components": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "old_status": COMPONENT_STATUS,
                    "new_status": COMPONENT_STATUS,
                },
            },
        },
        "deliver_notifications": {"type": "boolean"},
        "custom_tweet": {"type": "null"},
        "tweet_id": {"type": "null"},
    },
}
_INCIDENT = {
    "type": "object",
    "description": "The Statuspage /api/v2 incident object.",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": ANY_STATUS,
        "created_at": _TIME,
        "updated_at": _TIME,
        "monitoring_at": _TIME,
        "resolved_at": _TIME,
        "impact": {"type": "string", "enum": _values(Impact)},
        "shortlink": {"type": "string"},
        "started_at": _TIME,
        "page_id": {"type": "string"},
        "incident_updates": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/IncidentUpdate"},
            "description": "Newest first.",
        },
        "components": {"type": "array", "items": {"$ref": "#/components/schemas/Component"}},
    },
}
_MAINTENANCE = {
    "description": "The Statuspage /api/v2 scheduled maintenance object.",
    "allOf": [
        {"$ref": "#/components/schemas/Incident"},
        {
            "type": "object",
            "properties": {"scheduled_for": _TIME, "scheduled_until": _TIME},
        },
    ],
}
_STATUS_RESULT = {
    "type": "object",
    "properties": {
        "component": {"type": "string", "description": "The component's slug."},
        "manual_status": _nullable(COMPONENT_STATUS),
        "status": dict(COMPONENT_STATUS, description="What the page shows now."),
    },
    "required": ["component", "manual_status", "status"],
}
_RESULTS_RECORDED = {
    "type": "object",
    "properties": {
        "accepted": {"type": "integer", "description": "Results stored now."},
        "duplicates": {
            "type": "integer",
            "description": "Results whose id was stored before (or sent twice in this request); "
            "skipped.",
        },
    },
    "required": ["accepted", "duplicates"],
}
_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "enum": sorted(set(HTTP_CODES.values()))},
        "message": {"type": "string", "description": "What is wrong, naming the field."},
        "field": {"type": ["string", "null"], "description": "The field at fault, if one."},
    },
    "required": ["error", "message", "field"],
}
_ERRORS = {
    400: (
        "Malformed JSON (or not UTF-8, or nested deeper than 16), a body that is not an "
        "object, or a Content-Type other than application/json."
    ),
    401: "No token, or an unknown or revoked one.",
    403: "The token's scope is not the route's: results for /results, write for the others.",
    404: "No incident, maintenance or component with that code or slug.",
    409: "The change does not fit the current state.",
    413: f"The body is larger than {MAX_BYTES} bytes ({RESULTS_MAX_BYTES} for /results).",
    422: "A value is missing, unknown, of the wrong type or out of range; or an unknown key.",
}


def openapi_document(site_url: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every route this blueprint serves."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = PREFIX + op.rule.replace("<", "{").replace(">", "}")
        item = paths.setdefault(path, {})
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_names(op.rule)
        ]
        if parameters:
            item["parameters"] = parameters
        success = (
            {"description": "The OpenAPI document.", "content": {"application/json": {}}}
            if op.returns == "OpenAPI"
            else {
                "description": op.summary,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{op.returns}"}}
                },
            }
        )
        if op.status == 201:
            success["headers"] = {
                "Location": {"schema": {"type": "string"}, "description": "Where to read it."}
            }
        operation: dict[str, Any] = {
            "operationId": op.endpoint,
            "summary": op.summary,
            "responses": {str(op.status): success},
        }
        errors = set(op.errors)
        if op.scope is None:
            operation["security"] = []
        else:
            # OpenAPI 3.1 lets a non-OAuth scheme list the roles a route needs: the scope.
            operation["security"] = [{"bearer": [op.scope]}]
            errors |= {401, 403}
        if op.body is not None:
            errors |= {400, 413, 422}
            operation["requestBody"] = {
                "required": not op.body.optional,
                "content": {"application/json": {"schema": op.body.schema()}},
            }
        for status in sorted(errors):
            operation["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
        item[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Status page write API",
            "version": "1",
            "description": (
                "Open and update incidents, schedule maintenance and set component status "
                "with a token of scope write (`statuspage token create NAME`); probe agents "
                "send results with a token of scope results "
                "(`statuspage token create NAME --scope results`). Send it as "
                "`Authorization: Bearer <token>`. Reads use the public /api/v2."
            ),
        },
        "servers": [{"url": site_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Component": _COMPONENT,
                "IncidentUpdate": _UPDATE,
                "Incident": _INCIDENT,
                "Maintenance": _MAINTENANCE,
                "ComponentStatusResult": _STATUS_RESULT,
                "ResultsRecorded": _RESULTS_RECORDED,
                "Error": _ERROR,
            },
            "responses": {
                f"E{status}": {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for status, text in _ERRORS.items()
            },
        },
    }


def _path_names(rule: str) -> list[str]:
    return [part[1:-1] for part in rule.split("/") if part.startswith("<")]
