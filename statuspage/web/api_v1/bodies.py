"""Request bodies: the JSON object each route accepts, declared as JSON Schema, and reading it.

This layer checks a body's shape: known keys, required ones, each key's JSON type. What the
values mean (statuses, lengths, component slugs...) the staff service checks, in its own words,
after a route has found its event (so an unknown code is 404 before a bad value is 422).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import request

from statuspage.store import limits
from statuspage.vocabulary import ComponentStatus, Impact, IncidentStatus, MaintenanceStatus
from statuspage.web.api_v1.errors import ApiError, too_large

MAX_BYTES = 64 * 1024
# Years a timestamp may have: wide enough for any backfill, narrow enough that converting
# between UTC and the site's time zone can never overflow Python's datetime range.
YEARS = (1970, 9998)
# The bodies nest two levels at most; anything much deeper is a mistake or an attack.
MAX_DEPTH = 16
# Each JSON type a top-level key may have: how Python holds it, how a message names it.
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


def enum_values(enum: type) -> list[str]:
    """Return the values of a vocabulary enum, for a schema's `enum`."""
    return [member.value for member in enum]


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
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
INCIDENT_STATUS = {"type": "string", "enum": enum_values(IncidentStatus)}
ANY_STATUS = {
    "type": "string",
    "enum": enum_values(IncidentStatus) + enum_values(MaintenanceStatus),
}
COMPONENT_STATUS = {"type": "string", "enum": enum_values(ComponentStatus)}
IMPACT = {
    "type": "string",
    "enum": enum_values(Impact),
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
        "body": nullable(TEXT),
        "impact": nullable(IMPACT),
        "components": nullable(COMPONENT_CHANGES),
        "started_at": nullable(
            dict(
                WHEN,
                description="Defaults to now; a past time with status resolved "
                "records a past incident.",
            )
        ),
        "resolved_at": nullable(dict(WHEN, description="Only with status resolved.")),
        "notify": nullable(NOTIFY),
    },
    required=("name", "status"),
)
POST_UPDATE = Body(
    {
        "status": ANY_STATUS,
        "body": nullable(TEXT),
        "components": nullable(COMPONENT_CHANGES),
        "notify": nullable(NOTIFY),
    },
    required=("status",),
)
CHANGE_INCIDENT = Body(
    {
        "name": nullable(NAME),
        "impact": nullable(IMPACT),
        "postmortem": nullable(
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
        "body": nullable(TEXT),
    },
    required=("name", "scheduled_for", "scheduled_until", "components"),
)
EDIT_MAINTENANCE = Body(
    {
        "name": nullable(NAME),
        "scheduled_for": nullable(WHEN),
        "scheduled_until": nullable(WHEN),
        "components": nullable(SLUGS),
    },
    needs_one=True,
)
NO_BODY = Body({}, optional=True)
SET_STATUS = Body({"status": COMPONENT_STATUS}, required=("status",))


# ---------------------------------------------------------------------------------------
# Reading a body: size, media type, JSON, then its keys, its values' text, its shape.


def read_body(spec: Body, limit: int) -> dict[str, Any]:
    """Return the request's JSON object with every declared key, refusing anything else."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", too_large(limit))
    raw = request.get_data(cache=True)
    if len(raw) > limit:  # a body sent without a Content-Length
        raise ApiError(413, "payload_too_large", too_large(limit))
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
