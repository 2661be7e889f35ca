"""The OpenAPI 3.1 document of /api/v1, built from the routes' declarations.

`routes` declares each route as an `Operation` and serves the document at /api/v1/openapi.json,
so the document cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from statuspage.vocabulary import Impact
from statuspage.web.api_v1 import PREFIX
from statuspage.web.api_v1.bodies import (
    ANY_STATUS,
    CARRIED,
    COMPONENT_STATUS,
    MAX_BYTES,
    SLUG,
    Body,
    enum_values,
    nullable,
)
from statuspage.web.api_v1.errors import HTTP_CODES
from statuspage.web.api_v1.heartbeats import BEAT_MAX_BYTES, BEAT_RECEIVED, KEY
from statuspage.web.api_v1.results import RESULTS_MAX_BYTES


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
        "impact": {"type": "string", "enum": enum_values(Impact)},
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
        "manual_status": nullable(COMPONENT_STATUS),
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
        "refused": {
            "type": "array",
            "description": "Results not recorded because the site does not believe them; the "
            "agent should drop them, not send them again.",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer", "description": "Its place in `results`."},
                    "id": {"type": "string"},
                    "field": {"type": "string", "description": "As results[3].started_at."},
                    "reason": {"type": "string"},
                },
                "required": ["index", "id", "field", "reason"],
            },
        },
    },
    "required": ["accepted", "duplicates", "refused"],
}
# Any JSON value whose text (strings and keys, however deep) every format can carry.
_CARRIED = {
    "anyOf": [
        {"type": ["number", "boolean", "null"]},
        {"type": "string", "pattern": CARRIED},
        {"type": "array", "items": {"$ref": "#/components/schemas/Carried"}},
        {
            "type": "object",
            "propertyNames": {"pattern": CARRIED},
            "additionalProperties": {"$ref": "#/components/schemas/Carried"},
        },
    ]
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
    403: (
        "The token's scope is not the route's (results for /results, write for the others), "
        "or a result names a location other than the one its results token is bound to."
    ),
    404: "No incident, maintenance or component with that code or slug, or no heartbeat with "
    "that key.",
    409: "The change does not fit the current state.",
    413: f"The body is larger than {MAX_BYTES} bytes ({RESULTS_MAX_BYTES} for /results, "
    f"{BEAT_MAX_BYTES} for a heartbeat).",
    422: "A value is missing, unknown, of the wrong type or out of range; or an unknown key.",
    429: "A results token sent more results than it may a minute: wait Retry-After seconds.",
}


def openapi_document(
    site_url: str, operations: Iterable[Operation], slugs: Sequence[str]
) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of these routes, served from site_url.

    It states every rule of a request that JSON Schema can say, this site's component slugs
    included; what it cannot say (a time in the future, an end before a start) the API
    answers with 422 or 409, as documented.
    """
    paths: dict[str, dict[str, Any]] = {}
    slug = dict(SLUG, enum=list(slugs))
    for op in operations:
        path = PREFIX + op.rule.replace("<", "{").replace(">", "}")
        item = paths.setdefault(path, {})
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS.get(name, slug)}
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
                "content": {"application/json": {"schema": _with_slugs(op.body.schema(), slug)}},
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
                "`Authorization: Bearer <token>`. Capgo's jobs send heartbeats with no token: "
                "the heartbeat's key in the path is the secret. Reads use the public /api/v2."
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
                "HeartbeatReceived": BEAT_RECEIVED,
                "Carried": _CARRIED,
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


# A public code: 12 lowercase letters or digits; a heartbeat's key (described, never shown).
_PATH_SCHEMAS = {"code": {"type": "string", "pattern": "^[a-z0-9]{12}$"}, "key": KEY}


def _with_slugs(schema: Any, slug: dict[str, Any]) -> Any:
    """Return a copy of a schema in which every component slug lists this site's slugs."""
    if schema == SLUG:
        return slug
    if isinstance(schema, dict):
        return {key: _with_slugs(value, slug) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_with_slugs(value, slug) for value in schema]
    return schema


def _path_names(rule: str) -> list[str]:
    return [part[1:-1] for part in rule.split("/") if part.startswith("<")]
