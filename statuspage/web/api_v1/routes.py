"""The write API, `/api/v1`: incidents, maintenance and component status, by bearer token,
the results of probe agents at other locations, and the heartbeats of Capgo's own jobs.

Every view reads a JSON object, checks its shape (known keys, JSON types), then calls the
staff service layer, which validates the values and writes; a refused request changes nothing.
Each route is declared with the body it accepts and the token scope it needs, and
`/api/v1/openapi.json` is built from those declarations, so the document cannot drift from the
code. This module makes the blueprint and wires the other modules' checks and answers to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from statuspage import staff
from statuspage.config import StatusConfig
from statuspage.engine import ingest
from statuspage.reads.serializers import incident_json
from statuspage.reads.status import shown_statuses
from statuspage.staff.tokens import RESULTS_PER_MINUTE, take_allowance
from statuspage.store.db import db, utcnow
from statuspage.store.models import ApiToken, Component, Incident
from statuspage.store.site_state import lock_site
from statuspage.vocabulary import EventKind
from statuspage.web.api_v1 import PREFIX
from statuspage.web.api_v1.auth import actor, require_token
from statuspage.web.api_v1.bodies import (
    CHANGE_INCIDENT,
    CREATE_INCIDENT,
    EDIT_MAINTENANCE,
    MAX_BYTES,
    NO_BODY,
    POST_UPDATE,
    SCHEDULE_MAINTENANCE,
    SET_STATUS,
    Body,
    read_body,
)
from statuspage.web.api_v1.errors import (
    ApiError,
    answer_api_error,
    answer_http_error,
    answer_routing_error,
    answer_staff_error,
)
from statuspage.web.api_v1.heartbeats import BEAT, BEAT_MAX_BYTES, record_beat
from statuspage.web.api_v1.openapi import Operation, openapi_document
from statuspage.web.api_v1.results import (
    MAX_RESULTS,
    RECORD_RESULTS,
    RESULTS_MAX_BYTES,
    agent_result,
    refusal,
)

bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)

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


# ---------------------------------------------------------------------------------------
# Every request: its route's size limit and token scope, and errors in the one JSON shape.


def _served() -> Operation | None:
    """Return the declaration of the route being served (None: not declared through route())."""
    return ROUTES.get(request.endpoint or "")


def _body_limit() -> int:
    """Return the body size limit of the route being served."""
    operation = _served()
    return operation.max_bytes if operation else MAX_BYTES


def _admit() -> None:
    """Cap the body at the route's limit; refuse a request without a token of its scope."""
    operation = _served()
    # Reading stops one byte past the limit, so a body sent without a length (chunked) that
    # is too large shows as too large instead of arriving cut short.
    request.max_content_length = _body_limit() + 1
    # A route not declared through route() needs scope write: refusing is the safe default.
    require_token(operation.scope if operation else "write")


def _answer_http_error(error: HTTPException) -> Response:
    """Answer Flask's and Werkzeug's own errors, a 413 naming this route's limit."""
    return answer_http_error(error, _body_limit())


bp.before_app_request(answer_routing_error)
bp.before_request(_admit)
bp.register_error_handler(ApiError, answer_api_error)
bp.register_error_handler(staff.StaffError, answer_staff_error)
bp.register_error_handler(HTTPException, _answer_http_error)


def _body(spec: Body) -> dict[str, Any]:
    """Return the request's body as `spec` declares it, within the route's size limit."""
    return read_body(spec, _body_limit())


# ---------------------------------------------------------------------------------------
# Routes, each declared with what it accepts and answers (the document is built from this).


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


def _change_event(
    code: str, kind: str, spec: Body, change: Callable[..., object]
) -> dict[str, Any]:
    """Apply a staff change, given the body, to the event with this code; return the event."""
    # The body first: a malformed request is refused as such even for an unknown code.
    data = _body(spec)
    event = _event(code, kind)
    change(actor(), _config(), utcnow(), event, **data)
    return incident_json(event)


@route(
    "POST",
    "/incidents",
    summary="Open an incident, or record a past one (status resolved, a past started_at)",
    body=CREATE_INCIDENT,
    status=201,
)
def create_incident() -> ResponseReturnValue:
    """Open an incident."""
    data = _body(CREATE_INCIDENT)
    incident = staff.create_incident(actor(), _config(), utcnow(), **data)
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
    return _change_event(code, EventKind.INCIDENT, POST_UPDATE, staff.post_update), 201


@route(
    "PATCH",
    "/incidents/<code>",
    summary="Rename an incident, set its impact, or publish its postmortem",
    body=CHANGE_INCIDENT,
    errors=(404, 409),
)
def change_incident(code: str) -> ResponseReturnValue:
    """Change an incident's name, impact or postmortem."""
    return _change_event(code, EventKind.INCIDENT, CHANGE_INCIDENT, staff.change_incident)


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
    data = _body(SCHEDULE_MAINTENANCE)
    maintenance = staff.schedule_maintenance(actor(), _config(), utcnow(), **data)
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
    return _change_event(code, EventKind.MAINTENANCE, EDIT_MAINTENANCE, staff.edit_maintenance)


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
    return _change_event(code, EventKind.MAINTENANCE, POST_UPDATE, staff.post_update), 201


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
    return _change_event(code, EventKind.MAINTENANCE, NO_BODY, staff.cancel_maintenance)


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
    data = _body(SET_STATUS)
    component = staff.set_component_status(actor(), _config(), utcnow(), slug, data["status"])
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
    component = staff.set_component_status(actor(), _config(), utcnow(), slug, None)
    return _component_result(component)


@route(
    "POST",
    "/results",
    summary="Record probe results sent by an agent at another location (scope results)",
    body=RECORD_RESULTS,
    returns="ResultsRecorded",
    scope="results",
    max_bytes=RESULTS_MAX_BYTES,
    errors=(429,),
)
def record_agent_results() -> ResponseReturnValue:
    """Record a batch of probe results exactly as the site's own probe process does."""
    items = _body(RECORD_RESULTS)["results"]
    if len(items) > MAX_RESULTS:
        raise ApiError(
            422,
            "invalid",
            f"results holds {len(items)} results; send at most {MAX_RESULTS} per request",
            "results",
        )
    token, config, now = g.api_token, _config(), utcnow()
    if token.location is None:
        raise ApiError(
            403,
            "forbidden",
            f"token {token.name!r} is not bound to a location: create one for this agent with "
            "`statuspage token create NAME --scope results --location LOCATION`",
            "Authorization",
        )
    results = [agent_result(index, item, token.location) for index, item in enumerate(items)]
    _spend_allowance(token, len(results), now)
    refused, believed = [], []
    for index, result in enumerate(results):
        reason = refusal(index, result, config, now)
        (believed if reason is None else refused).append(reason or result)
    try:
        rows = ingest(believed, config, now)
    except IntegrityError:
        # Another request stored some of these ids between our check and our insert (an
        # agent retrying a request still running): store the rest, as duplicates are skipped.
        db.session.rollback()
        rows = ingest(believed, config, now)
    return {
        "accepted": len(rows),
        "duplicates": len(believed) - len(rows),
        "refused": [item.to_dict() for item in refused],
    }


def _spend_allowance(token: ApiToken, count: int, now: datetime) -> None:
    """Refuse the request with 429 when the token has sent too many results lately."""
    lock_site()  # parallel requests of one token spend its allowance in turn
    db.session.refresh(token)
    wait = take_allowance(token, count, now)
    db.session.commit()
    if wait:
        seconds = math.ceil(wait)
        raise ApiError(
            429,
            "too_many_requests",
            f"token {token.name!r} may send {RESULTS_PER_MINUTE} results a minute: "
            f"send these in {seconds} s",
            None,
            {"Retry-After": str(seconds)},
        )


@route(
    "POST",
    "/heartbeats/<key>",
    summary="Record a beat of one of Capgo's jobs (no token: the key is the secret)",
    body=BEAT,
    returns="HeartbeatReceived",
    scope=None,
    max_bytes=BEAT_MAX_BYTES,
    errors=(404,),
)
def heartbeat(key: str) -> ResponseReturnValue:
    """Record a heartbeat's beat."""
    return record_beat(key, _body(BEAT))


@route(
    "GET",
    "/openapi.json",
    summary="This document (no token needed)",
    returns="OpenAPI",
    scope=None,
)
def openapi() -> ResponseReturnValue:
    """Return the OpenAPI 3.1 document of this API."""
    config = _config()
    slugs = [component.slug for component in config.components]
    return openapi_document(config.site.url, OPERATIONS, slugs)
