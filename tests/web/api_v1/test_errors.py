"""Every malformed request to the write API: the documented 4xx in the documented shape,
nothing changed; and random JSON to every write route never gets a 500."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from statuspage.web.api_v1 import PREFIX
from statuspage.web.api_v1.bodies import MAX_BYTES
from statuspage.web.api_v1.routes import OPERATIONS
from tests.web.api_v1.shared import CODES, OPEN, assert_error, db_state, iso, maintenance_body

# ---------------------------------------------------------------------------------------
# Every malformed request: the documented 4xx, the documented shape, nothing changed

JSON = {"Content-Type": "application/json"}
VALID = dict(OPEN)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DROP = object()  # leaves a key out of a valid maintenance body
DEEP: Any = "operational"
for _ in range(900):
    DEEP = [DEEP]


def bad(method: str, path: str, body: Any, status: int, named: str, headers=JSON) -> Any:
    """Return one row: a request, the status it gets, and what its message must name.

    `body` is sent as is when it is text or bytes, as JSON otherwise; a JSON object sent to
    /maintenances is merged into a valid one. `{incident}` and `{maintenance}` in the path
    stand for the codes of an open incident and a scheduled maintenance.
    """
    return pytest.param(method, path, headers, body, status, named, id=f"{method} {path} {named}")


# One row a line where it fits: the table reads better than the formatter's layout.
# fmt: off
MALFORMED = [
    # Not a JSON object.
    bad("POST", "/incidents", json.dumps(VALID), 400, "Content-Type", headers={}),
    bad("POST", "/incidents", json.dumps(VALID), 400, "text/plain", {"Content-Type": "text/plain"}),
    bad("POST", "/incidents", "name=x", 400, "Content-Type", FORM),
    bad("POST", "/incidents", '{"name": ', 400, "JSON"),
    bad("POST", "/incidents", "", 400, "JSON"),
    bad("POST", "/incidents", '{"name": NaN, "status": "resolved"}', 400, "NaN"),
    bad("POST", "/incidents", b'{"name": "\xff\xfe"}', 400, "UTF-8"),
    bad("POST", "/incidents", "[" * 5000 + "]" * 5000, 400, "nested"),
    bad("POST", "/incidents", VALID | {"components": {"live-updates": DEEP}}, 400, "deeper"),
    bad("POST", "/incidents", "[1, 2]", 400, "object"),
    bad("POST", "/incidents", '"investigating"', 400, "object"),
    bad("POST", "/incidents", "null", 400, "object"),
    bad("POST", "/incidents", VALID | {"body": "x" * (MAX_BYTES + 1)}, 413, str(MAX_BYTES)),
    # Opening an incident.
    bad("POST", "/incidents", {}, 422, "name"),
    bad("POST", "/incidents", {"name": "x"}, 422, "status"),
    bad("POST", "/incidents", {"name": "  ", "status": "investigating"}, 422, "name"),
    bad("POST", "/incidents", {"name": "x" * 301, "status": "investigating"}, 422, "name"),
    bad("POST", "/incidents", VALID | {"status": "broken"}, 422, "status"),
    bad("POST", "/incidents", VALID | {"status": ["investigating"]}, 422, "status"),
    bad("POST", "/incidents", VALID | {"status": "in_progress"}, 422, "status"),
    bad("POST", "/incidents", VALID | {"name": 5}, 422, "name"),
    bad("POST", "/incidents", VALID | {"body": {"text": "x"}}, 422, "body"),
    bad("POST", "/incidents", VALID | {"body": "x" * 20_001}, 422, "body"),
    bad("POST", "/incidents", VALID | {"impact": "huge"}, 422, "impact"),
    bad("POST", "/incidents", VALID | {"notify": "yes"}, 422, "notify"),
    bad("POST", "/incidents", VALID | {"components": ["live-updates"]}, 422, "components"),
    bad("POST", "/incidents", VALID | {"components": {"nope": "major_outage"}}, 422,
        "components.nope"),
    bad("POST", "/incidents", VALID | {"components": {"live-updates": "exploded"}}, 422,
        "components.live-updates"),
    bad("POST", "/incidents", VALID | {"components": {"live-updates": [1]}}, 422,
        "components.live-updates"),
    bad("POST", "/incidents", VALID | {"colour": "red", "size": 1}, 422, "colour, size"),
    bad("POST", "/incidents", VALID | {"started_at": "yesterday"}, 422, "started_at"),
    bad("POST", "/incidents", VALID | {"started_at": "2026-01-10T08:00:00"}, 422, "started_at"),
    bad("POST", "/incidents", VALID | {"started_at": "2999-01-01T00:00:00Z"}, 422, "started_at"),
    bad("POST", "/incidents", VALID | {"started_at": "0001-01-01T00:00:00+01:00"}, 422,
        "started_at"),
    bad("POST", "/incidents", VALID | {"started_at": 1767225600}, 422, "started_at"),
    bad("POST", "/incidents", VALID | {"status": "resolved", "started_at": "2026-01-10T08:00:00Z",
                                       "resolved_at": "2026-01-09T08:00:00Z"}, 422, "resolved_at"),
    bad("POST", "/incidents", VALID | {"name": "nul\u0000byte"}, 422, "name"),
    bad("POST", "/incidents", '{"name": "\\ud800", "status": "investigating"}', 422, "name"),
    # Updating an incident.
    bad("POST", "/incidents/nope/updates", {"status": "identified"}, 404, "nope"),
    bad("POST", "/incidents/{maintenance}/updates", {"status": "identified"}, 404, "maintenance"),
    bad("POST", "/incidents/{incident}/updates", {}, 422, "status"),
    bad("POST", "/incidents/{incident}/updates", {"status": "scheduled"}, 409, "status"),
    bad("POST", "/incidents/{incident}/updates", {"status": "completed"}, 409, "status"),
    bad("POST", "/incidents/{incident}/updates", {"status": "fixed"}, 422, "status"),
    bad("POST", "/incidents/{incident}/updates", {"status": "identified", "name": "x"}, 422,
        "name"),
    bad("POST", "/incidents/{incident}/updates",
        {"status": "identified", "components": {"analytics": "on_fire"}}, 422,
        "components.analytics"),
    # Changing an incident.
    bad("PATCH", "/incidents/{incident}", {}, 422, "nothing to change"),
    bad("PATCH", "/incidents/{incident}", {"name": None}, 422, "nothing to change"),
    bad("PATCH", "/incidents/{incident}", {"postmortem": "Too soon."}, 409, "postmortem"),
    bad("PATCH", "/incidents/{incident}", {"impact": "apocalyptic"}, 422, "impact"),
    bad("PATCH", "/incidents/{incident}", {"status": "resolved"}, 422, "status"),
    bad("PATCH", "/incidents/nope", {"name": "x"}, 404, "nope"),
    bad("GET", "/incidents/nope", None, 404, "nope", headers={}),
    bad("GET", "/incidents/{maintenance}", None, 404, "maintenance", headers={}),
    # Maintenance.
    bad("POST", "/maintenances", {"scheduled_for": DROP}, 422, "scheduled_for"),
    bad("POST", "/maintenances", {"components": DROP}, 422, "components"),
    bad("POST", "/maintenances", {"components": []}, 422, "components"),
    bad("POST", "/maintenances", {"components": "analytics"}, 422, "components"),
    bad("POST", "/maintenances", {"components": ["analytics", "nope"]}, 422, "components[1]"),
    bad("POST", "/maintenances", {"scheduled_until": "2020-01-01T00:00:00Z"}, 422,
        "scheduled_until"),
    bad("POST", "/maintenances", {"scheduled_for": "soon"}, 422, "scheduled_for"),
    bad("POST", "/maintenances", {"scheduled_for": "9999-12-31T23:00:00-05:00"}, 422,
        "scheduled_for"),
    bad("PATCH", "/maintenances/{maintenance}", {}, 422, "nothing to change"),
    bad("PATCH", "/maintenances/{maintenance}", {"components": []}, 422, "components"),
    bad("PATCH", "/maintenances/{maintenance}", {"scheduled_until": "2020-01-01T00:00:00Z"},
        422, "scheduled_until"),
    bad("PATCH", "/maintenances/{incident}", {"name": "x"}, 404, "incident"),
    bad("POST", "/maintenances/{maintenance}/updates", {"status": "investigating"}, 409,
        "status"),
    bad("POST", "/maintenances/{maintenance}/cancel", "[]", 400, "object"),
    bad("POST", "/maintenances/{maintenance}/cancel", {"reason": "x"}, 422, "reason"),
    bad("POST", "/maintenances/nope/cancel", None, 404, "nope", headers={}),
    # Component status.
    bad("PUT", "/components/nope/status", {"status": "major_outage"}, 404, "nope"),
    bad("PUT", "/components/analytics/status", {"status": "meh"}, 422, "status"),
    bad("PUT", "/components/analytics/status", {"status": None}, 422, "status"),
    bad("PUT", "/components/analytics/status", {}, 422, "status"),
    bad("PUT", "/components/analytics/status", "status=major_outage", 400, "Content-Type", FORM),
    bad("DELETE", "/components/nope/status", None, 404, "nope", headers={}),
    # Routes and methods.
    bad("GET", "/nothing-here", None, 404, "/api/v1/nothing-here", headers={}),
    bad("GET", "/incidents/{incident}/updates/x", None, 404, "updates/x", headers={}),
    bad("GET", "", None, 404, "/api/v1", headers={}),
    bad("DELETE", "/incidents", None, 405, "DELETE", headers={}),
    bad("GET", "/incidents", None, 405, "POST", headers={}),
    bad("PUT", "/incidents/{incident}", {"name": "x"}, 405, "PATCH"),
    bad("POST", "/openapi.json", {}, 405, "GET"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "headers", "body", "status", "named"), MALFORMED)
def test_malformed_requests_are_refused_and_change_nothing(
    app, client, auth, events, method, path, headers, body, status, named
) -> None:
    if isinstance(body, dict) and path == "/maintenances":
        body = {k: v for k, v in (maintenance_body() | body).items() if v is not DROP}
    if isinstance(body, dict):
        body = json.dumps(body)
    before = db_state(app)
    response = client.open(
        PREFIX + path.format(**events), method=method, headers=auth | headers, data=body
    )
    assert_error(response, status, CODES[status], named)
    if status == 405:
        assert response.headers["Allow"]
    assert db_state(app) == before


def test_body_over_the_limit_is_refused_while_read_without_a_length(app, client, auth) -> None:
    before = db_state(app)
    body = json.dumps(VALID | {"body": "x" * MAX_BYTES}).encode()
    response = client.post(
        f"{PREFIX}/incidents",
        input_stream=io.BytesIO(body),
        headers=auth | JSON | {"Transfer-Encoding": "chunked"},
        # What a server that de-chunks requests itself (gunicorn, waitress) tells the app.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413, "payload_too_large", str(MAX_BYTES))
    assert db_state(app) == before


def test_unknown_route_needs_no_token_to_get_a_json_404(client) -> None:
    response = client.post(f"{PREFIX}/incident", json=OPEN)
    assert_error(response, 404, "not_found", "openapi.json")


def test_routes_outside_the_api_keep_their_own_errors(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


# ---------------------------------------------------------------------------------------
# The exact refusal of each check of a body's shape, and which one wins when several fail

NESTED: Any = "operational"
for _ in range(20):
    NESTED = [NESTED]
INCIDENT_KEYS = "name, status, body, impact, components, started_at, resolved_at, notify"


def refused(
    method: str, path: str, body: dict[str, Any], status: int, field: str | None, message: str
) -> Any:
    """Return one row: a body (sent with its keys in this order) and its exact refusal."""
    return pytest.param(method, path, json.dumps(body), status, field, message, id=message)


# fmt: off
EXACT = [
    # Unknown keys come first, named in the order sent, before any value is looked at.
    refused("POST", "/incidents", {"size": 1, "colour": "red", "name": "x"}, 422, "size",
            f"unknown fields: size, colour (allowed: {INCIDENT_KEYS})"),
    refused("POST", "/incidents", VALID | {"colour": NESTED}, 422, "colour",
            f"unknown field: colour (allowed: {INCIDENT_KEYS})"),
    refused("POST", "/maintenances/{maintenance}/cancel", {"reason": "x"}, 422, "reason",
            "unknown field: reason (allowed: none)"),
    # Then depth and text no column can hold, before the types.
    refused("POST", "/incidents", VALID | {"name": NESTED}, 400, None,
            "the JSON nests deeper than 16"),
    refused("POST", "/incidents", {"name": "nul\x00", "status": 5}, 422, "name",
            "name contains a NUL character"),
    refused("POST", "/incidents", {"name": "x", "status": "investigating", "body": "bell \u0007"},
            422, "body", "body contains the control character U+0007, which feeds cannot carry"),
    refused("POST", "/incidents", {"name": "x\ufffe", "status": "investigating"}, 422, "name",
            "name contains the control character U+FFFE, which feeds cannot carry"),
    # Then the required keys, in their declared order; null counts as missing.
    refused("POST", "/incidents", {"name": 5}, 422, "status", "status is required"),
    refused("POST", "/incidents", {"status": None, "name": None}, 422, "name",
            "name is required"),
    refused("PUT", "/components/analytics/status", {"status": None}, 422, "status",
            "status is required"),
    # Then each key's JSON type, and a timestamp's year, in the order the keys were sent.
    refused("POST", "/incidents", {"notify": 1, "body": 2, "name": "x", "status": "resolved"},
            422, "notify", "notify must be true or false or null"),
    refused("POST", "/incidents", {"body": 2, "notify": 1, "name": "x", "status": "resolved"},
            422, "body", "body must be a string or null"),
    refused("POST", "/incidents", {"started_at": "1969-12-31T23:59:59Z", "name": 5,
                                   "status": "investigating"}, 422, "started_at",
            "started_at must be between 1970 and 9998"),
    refused("POST", "/incidents", {"name": 5, "started_at": "1969-12-31T23:59:59Z",
                                   "status": "investigating"}, 422, "name",
            "name must be a string"),
    refused("POST", "/maintenances", {"name": "x", "scheduled_for": 1, "components": "x",
                                      "scheduled_until": "2030-01-01T00:00:00Z"}, 422,
            "scheduled_for", "scheduled_for must be a string"),
    refused("POST", "/maintenances", {"name": "x", "components": "analytics", "scheduled_for":
                                      "2030-01-01T00:00:00Z", "scheduled_until":
                                      "2030-01-01T02:00:00Z"}, 422, "components",
            "components must be an array"),
    # The body before the event: a malformed one is refused as such for an unknown code.
    refused("POST", "/incidents/nope/updates", {"status": 5}, 422, "status",
            "status must be a string"),
    # Last, a change that changes nothing.
    refused("PATCH", "/incidents/{incident}", {"name": None, "impact": None}, 422, None,
            "nothing to change: give one of name, impact, postmortem"),
    refused("PATCH", "/maintenances/{maintenance}", {}, 422, None,
            "nothing to change: give one of name, scheduled_for, scheduled_until, components"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "body", "status", "field", "message"), EXACT)
def test_each_shape_check_refuses_in_its_own_words(
    client, auth, events, method, path, body, status, field, message
) -> None:
    response = client.open(
        PREFIX + path.format(**events), method=method, headers=auth | JSON, data=body
    )
    assert response.status_code == status, response.json
    assert response.json == {"error": CODES[status], "message": message, "field": field}


# ---------------------------------------------------------------------------------------
# Property: random JSON to every write endpoint never gets a 500, and every refusal is shaped

# Each write endpoint with a body it accepts; the property test sends it with keys replaced.
WRITES = {
    ("POST", "/incidents"): {"name": "x", "status": "investigating"},
    ("POST", "/incidents/{incident}/updates"): {"status": "identified"},
    ("PATCH", "/incidents/{incident}"): {"name": "y"},
    ("POST", "/maintenances"): "MAINTENANCE",
    ("PATCH", "/maintenances/{maintenance}"): {"name": "z"},
    ("POST", "/maintenances/{maintenance}/updates"): {"status": "scheduled"},
    ("POST", "/maintenances/{maintenance}/cancel"): {},
    ("PUT", "/components/analytics/status"): {"status": "major_outage"},
}


def test_random_json_never_gets_a_500(app, client, auth, events) -> None:
    pytest.importorskip("hypothesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    keys = sorted({key for op in OPERATIONS if op.body for key in op.body.fields} | {"colour"})
    words = st.sampled_from(
        [
            *("investigating", "resolved", "postmortem", "scheduled", "completed", "verifying"),
            *("major_outage", "operational", "minor", "live-updates", "analytics", "nope"),
            *("2026-01-10T08:00:00Z", iso(timedelta(hours=-3)), iso(timedelta(hours=3))),
            *("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00Z"),
            *("\ud800", "\x00", "", " ", "<script>alert(1)</script>", "x" * 400),
        ]
    )
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | words | st.text()
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(keys) | words, inner, max_size=4)
        ),
        max_leaves=12,
    )
    anything = st.dictionaries(st.sampled_from(keys), values, max_size=6) | values

    @st.composite
    def requests(draw: Any) -> tuple[str, str, Any]:
        method, path = draw(st.sampled_from(sorted(WRITES)))
        if draw(st.booleans()):
            return method, path, draw(anything)
        # Near a valid body: the likeliest way to reach the service layer with odd values.
        valid = WRITES[(method, path)]
        valid = maintenance_body() if valid == "MAINTENANCE" else valid
        changed = draw(st.dictionaries(st.sampled_from(keys), values, max_size=3))
        return method, path, valid | changed

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(requests())
    def check(request: tuple[str, str, Any]) -> None:
        method, path, body = request
        response = client.open(
            PREFIX + path.format(**events), method=method, headers=auth, json=body
        )
        assert response.status_code < 500, (request, response.json)
        assert response.mimetype == "application/json"
        if response.status_code >= 400:
            assert response.status_code in (400, 404, 409, 413, 422), (request, response.json)
            assert set(response.json) == {"error", "message", "field"}, response.json
            assert response.json["error"] == CODES[response.status_code]

    check()
