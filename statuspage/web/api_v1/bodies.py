"""Request bodies: the JSON object each route accepts, declared as JSON Schema, and reading it.

This layer checks a body's shape: known keys, required ones, each key's JSON type, with
`jsonschema` from the same declarations the OpenAPI document shows. What the values mean
(statuses, lengths, component slugs...) the staff service checks, in its own words, after a
route has found its event (so an unknown code is 404 before a bad value is 422).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, ValidationError

from statuspage.store import limits
from statuspage.store.text import uncarried
from statuspage.vocabulary import (
    UNRESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from statuspage.web.api_v1.errors import ApiError, too_large

MAX_BYTES = 64 * 1024
# Years a timestamp may have: wide enough for any backfill, narrow enough that converting
# between UTC and the site's time zone can never overflow Python's datetime range.
YEARS = (1970, 9998)
# The bodies nest two levels at most; anything much deeper is a mistake or an attack.
MAX_DEPTH = 16
# How a message names each JSON type a top-level key may have ("notify must be true or false").
TYPE_NAMES = {
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
    # Rules between keys, for the document (the service checks them, in its own words).
    between: dict[str, Any] | None = None

    def schema(self, *, between: bool = True) -> dict[str, Any]:
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
        if between and self.between:
            schema.update(self.between)
        return schema

    @cached_property
    def keys_validator(self) -> Draft202012Validator:
        """Return the validator of the object's keys alone, which never looks at a value."""
        return Draft202012Validator({"propertyNames": {"enum": list(self.fields)}})

    @cached_property
    def shape_validator(self) -> Draft202012Validator:
        """Return the validator of the object's shape: required keys, each key's JSON type."""
        types = {key: {"type": field["type"]} for key, field in self.fields.items()}
        return Draft202012Validator(dict(self.schema(between=False), properties=types))


def enum_values(enum: type) -> list[str]:
    """Return the values of a vocabulary enum, for a schema's `enum`."""
    return [member.value for member in enum]


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null, which every optional key accepts as "not given"."""
    result = dict(schema, type=[schema["type"], "null"])
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


# Text every format can carry (statuspage.store.text), as patterns the document can state:
# any such text, and such text with something more than spaces in it (a name).
_UNCARRIED = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ud800-\\udfff\\ufffe\\uffff"
CARRIED = f"^[^{_UNCARRIED}]*$"
CARRIED_WORDS = f"^[^{_UNCARRIED}]*[^{_UNCARRIED}\\s][^{_UNCARRIED}]*$"
NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": limits.EVENT_NAME,
    "pattern": CARRIED_WORDS,
}
TEXT = {
    "type": "string",
    "maxLength": limits.BODY,
    "pattern": CARRIED,
    "description": "Markdown, stored as written. Empty or left out: the status's usual text.",
}
# The years YEARS allows, as the start of an ISO 8601 date.
YEAR_PATTERN = "^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9])-"
WHEN = {
    "type": "string",
    "format": "date-time",
    "pattern": YEAR_PATTERN,
    "description": f"ISO 8601 with an offset (Z or +02:00), years {YEARS[0]} to {YEARS[1]}.",
}
# A component slug of this site: the document lists the site's own (see openapi.py).
SLUG = {"type": "string", "description": "A component slug of this site."}
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
    "propertyNames": SLUG,
    "additionalProperties": COMPONENT_STATUS,
    "description": "Component slug to the status this event gives it.",
}
SLUGS = {"type": "array", "items": SLUG, "minItems": 1}

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
                "records a past incident, counted in uptime from then with its components' "
                "statuses.",
            )
        ),
        "resolved_at": nullable(
            dict(
                WHEN,
                description="Only with status resolved or postmortem; defaults to now.",
            )
        ),
        "notify": nullable(NOTIFY),
    },
    required=("name", "status"),
    between={
        # A resolution time goes only with a resolved incident.
        "if": {"properties": {"status": {"enum": [s.value for s in UNRESOLVED_INCIDENT_STATUSES]}}},
        "then": {"properties": {"resolved_at": {"type": "null"}}},
    },
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
    # Unknown keys first: a body meant for another route is told so before anything else.
    _check_keys(spec, data)
    # Before the shape: a schema error quotes the value, and a deep one would overflow repr().
    _check_depth_and_text(data)
    _check_shape(spec, data)
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


def _check_keys(spec: Body, data: dict[str, Any]) -> None:
    """Refuse keys the body does not declare, naming them all in the order sent."""
    unknown = [error.instance for error in spec.keys_validator.iter_errors(data)]
    if unknown:
        allowed = ", ".join(spec.fields) or "none"
        raise ApiError(
            422,
            "invalid",
            f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
            f"(allowed: {allowed})",
            unknown[0],
        )


def _check_depth_and_text(data: dict[str, Any]) -> None:
    """Refuse deep nesting, and text some format cannot carry (NUL, controls, surrogates)."""
    # JSON Schema says neither. A loop, not recursion: how deep a request nests must not
    # decide how deep Python goes.
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
    problem = uncarried(text)
    if problem is not None:
        raise ApiError(422, "invalid", f"{path} contains {problem}", path)


# When a body has several problems, the one reported is the first of: a missing key (in the
# declared order), a value (in the order the keys were sent), an empty change.
MISSING, VALUE, EMPTY = 0, 1, 2
_Problem = tuple[tuple[int, int], ApiError]


def _check_shape(spec: Body, data: dict[str, Any]) -> None:
    """Refuse a missing required key, a value of the wrong JSON type, or nothing to change."""
    # Null is "not given" in every body: a required key sent as null is missing, and a change
    # of nulls only is empty (minProperties).
    given = {key: value for key, value in data.items() if value is not None}
    sent = list(given)
    problems = [
        _shape_problem(spec, error, sent) for error in spec.shape_validator.iter_errors(given)
    ]
    problems += [
        ((VALUE, sent.index(key)), problem)
        for key, value in given.items()
        if spec.fields[key].get("format") == "date-time"
        and isinstance(value, str)
        and (problem := _year_problem(key, value))
    ]
    if problems:
        raise min(problems, key=lambda problem: problem[0])[1]


def _shape_problem(spec: Body, error: ValidationError, sent: list[str]) -> _Problem:
    """Return the refusal a shape error stands for, with its rank."""
    if error.validator == "required":
        # An error per missing key, each holding the whole list: all name the first declared.
        missing = next(key for key in error.validator_value if key not in error.instance)
        rank = (MISSING, error.validator_value.index(missing))
        return rank, ApiError(422, "invalid", f"{missing} is required", missing)
    if error.validator == "minProperties":
        keys = ", ".join(spec.fields)
        return (EMPTY, 0), ApiError(422, "invalid", f"nothing to change: give one of {keys}", None)
    # Nothing else in the shape can fail (the body is an object whose keys are known by now):
    # the JSON type of one key's value.
    key = error.path[0]
    types = error.validator_value
    types = types if isinstance(types, list) else [types]
    wanted = " or ".join(TYPE_NAMES[name] for name in types)
    return (VALUE, sent.index(key)), ApiError(422, "invalid", f"{key} must be {wanted}", key)


def _year_problem(key: str, value: str) -> ApiError | None:
    """Return the refusal of a timestamp outside YEARS, which JSON Schema cannot bound."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # the service explains what is wrong with it
    try:
        year = moment.astimezone(UTC).year if moment.tzinfo else moment.year
    except OverflowError:
        year = moment.year
    if not YEARS[0] <= year <= YEARS[1]:
        return ApiError(422, "invalid", f"{key} must be between {YEARS[0]} and {YEARS[1]}", key)
    return None
