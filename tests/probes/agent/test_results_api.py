"""The site side of reporting: POST /api/v1/results, its checks, limits and scope."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from statuspage.staff.tokens import RESULTS_BURST, RESULTS_PER_MINUTE, create_token
from statuspage.store.db import db, utcnow
from statuspage.store.models import ApiToken, ProbeResult, ProbeState
from statuspage.web.api_v1.routes import MAX_RESULTS, OPERATIONS, PREFIX, RESULTS_MAX_BYTES
from tests.probes.helpers import UPDATE, result


@pytest.fixture
def post(client, results_token):
    def call(body: Any, token: str | None = results_token, **kwargs: Any):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post(f"{PREFIX}/results", json=body, headers=headers, **kwargs)

    return call


def counts(app) -> tuple[int, int]:
    with app.app_context():
        results = db.session.execute(db.select(db.func.count(ProbeResult.id))).scalar_one()
        states = db.session.execute(db.select(db.func.count()).select_from(ProbeState)).scalar_one()
        db.session.remove()
    return results, states


def test_results_are_recorded_and_duplicates_counted(app, post) -> None:
    batch = [result().to_dict(), result(UPDATE, "down").to_dict()]
    first = post({"results": batch})
    assert first.status_code == 200, first.json
    assert first.json == {"accepted": 2, "duplicates": 0, "refused": []}
    again = post({"results": [*batch, result().to_dict()]})
    assert again.json == {"accepted": 1, "duplicates": 2, "refused": []}
    assert counts(app) == (3, 2)
    assert post({"results": []}).json == {"accepted": 0, "duplicates": 0, "refused": []}


def bad(index: int, **changes: Any) -> list[dict[str, Any]]:
    """Return four valid results with item ``index`` changed."""
    items = [result().to_dict() for _ in range(4)]
    items[index] |= changes
    return items


@pytest.mark.parametrize(
    ("items", "field"),
    [
        (bad(3, started_at="2026-03-02 10:02"), "results[3].started_at"),
        (bad(3, started_at="2026-03-02T10:02:00"), "results[3].started_at"),  # no offset
        (bad(1, outcome="sideways"), "results[1].outcome"),
        (bad(2, latency_ms="12"), "results[2].latency_ms"),
        (bad(2, latency_ms=-1), "results[2].latency_ms"),
        (bad(2, http_status=True), "results[2].http_status"),
        (bad(2, http_status=200.5), "results[2].http_status"),
        (bad(1, id=""), "results[1].id"),
        (bad(1, id="x" * 65), "results[1].id"),
        ([*bad(0)[:2], "not an object"], "results[2]"),
        ([{k: v for k, v in result().to_dict().items() if k != "reason"}], "results[0].reason"),
        # Text no feed can carry (one control character once made every feed answer 500).
        (bad(1, reason="bell \u0007"), "results[1].reason"),
        (bad(1, reason="\x00"), "results[1].reason"),
    ],
)
def test_a_malformed_result_refuses_the_whole_request(app, post, items, field) -> None:
    response = post({"results": items})
    assert response.status_code == 422, response.json
    assert response.json["field"] == field
    assert response.json["message"].startswith(field)
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        # Forged: probes and components this site does not have.
        ({"component": "billing", "probe_key": "billing/x"}, "probe_key", "no probe 'billing/x'"),
        ({"probe_key": "analytics/worker"}, "probe_key", "no probe 'analytics/worker'"),
        ({"component": "analytics"}, "component", "belongs to 'live-updates'"),
        # From the future: it would stay its location's newest word while the clock is wrong.
        ({"started_at": timedelta(minutes=2)}, "started_at", "ahead"),
        ({"started_at": timedelta(hours=1)}, "started_at", "ahead"),
        # From before what the site keeps (1970 made the first roll-up walk 20,788 days).
        ({"started_at": "1970-01-02T00:00:00+00:00"}, "started_at", "older than the 30 days"),
        ({"started_at": -timedelta(days=31)}, "started_at", "older"),
    ],
)
def test_a_result_the_site_does_not_believe_is_refused_alone(
    app, post, changes, field, reason
) -> None:
    # A time is given as an offset from now, taken when the test runs, not when it is collected.
    changes = {
        key: (utcnow() + value).isoformat() if isinstance(value, timedelta) else value
        for key, value in changes.items()
    }
    items = bad(1, **changes)
    response = post({"results": items})
    assert response.status_code == 200, response.json
    assert response.json["accepted"] == 3 and response.json["duplicates"] == 0
    [refused] = response.json["refused"]
    assert refused["index"] == 1 and refused["id"] == items[1]["id"]
    assert refused["field"] == f"results[1].{field}"
    assert reason in refused["reason"]
    assert counts(app)[0] == 3


def test_a_result_a_minute_ahead_is_still_taken(app, post) -> None:
    """Clocks drift a little: up to a minute ahead of the site's is believed."""
    soon = (utcnow() + timedelta(seconds=50)).isoformat()
    assert post({"results": bad(0, started_at=soon)}).json["refused"] == []


def test_a_token_speaks_for_its_own_location_only(app, post) -> None:
    forged = [result(location=where).to_dict() for where in ("eu", "ap-fake", "us-fake")]
    response = post({"results": forged})
    assert response.status_code == 403, response.json
    assert response.json["field"] == "results[1].location"
    assert "reports for 'eu' only" in response.json["message"]
    assert counts(app) == (0, 0)


def test_a_results_token_without_a_location_is_refused(app, post) -> None:
    with app.app_context():
        legacy = create_token("old-agent", "results", location="eu")
        db.session.execute(db.update(ApiToken).values(location=None))
        db.session.commit()
    response = post({"results": [result().to_dict()]}, token=legacy)
    assert response.status_code == 403
    assert "--location" in response.json["message"]
    assert counts(app) == (0, 0)


def test_a_token_is_rate_limited_and_told_when_to_send_again(app, post) -> None:
    def fresh_batch() -> list[dict[str, Any]]:
        return [result(reason="r").to_dict() for _ in range(MAX_RESULTS)]

    for _ in range(RESULTS_BURST // MAX_RESULTS):
        assert post({"results": fresh_batch()}).status_code == 200
    # The burst is spent; a minute refills RESULTS_PER_MINUTE, far short of another batch now.
    refused = post({"results": fresh_batch()})
    assert refused.status_code == 429, refused.json
    assert refused.json["error"] == "too_many_requests"
    wait = int(refused.headers["Retry-After"])
    assert 30 <= wait <= 60 * MAX_RESULTS / RESULTS_PER_MINUTE
    assert counts(app)[0] == RESULTS_BURST


def test_results_request_limits(app, post) -> None:
    too_many = post({"results": [result().to_dict()] * (MAX_RESULTS + 1)})
    assert too_many.status_code == 422 and too_many.json["field"] == "results"
    # 1,000 results with long reasons: more than the other routes' 64 KiB, within 1 MiB.
    full = [result(reason="r" * 300).to_dict() for _ in range(MAX_RESULTS)]
    size = len(json.dumps({"results": full}))
    assert 64 * 1024 < size < RESULTS_MAX_BYTES
    assert post({"results": full}).json == {"accepted": MAX_RESULTS, "duplicates": 0, "refused": []}
    huge = post({"results": [result(reason="r" * 300).to_dict()] * 2500})
    assert huge.status_code == 413 and str(RESULTS_MAX_BYTES) in huge.json["message"]
    assert post({"result": []}).status_code == 422  # unknown key, as elsewhere in the API


def test_scopes_keep_agents_and_staff_apart(app, client, post) -> None:
    with app.app_context():
        write = create_token("ci")
        agent = create_token("us-agent", "results", location="us")
    batch = {"results": [result().to_dict()]}
    assert post(batch, token=None).status_code == 401
    refused = post(batch, token=write)
    assert refused.status_code == 403 and "needs scope 'results'" in refused.json["message"]
    for op in OPERATIONS:
        if op.scope != "write":
            continue
        path = PREFIX + op.rule.replace("<code>", "nope").replace("<slug>", "analytics")
        response = client.open(
            path, method=op.method, json={}, headers={"Authorization": f"Bearer {agent}"}
        )
        assert response.status_code == 403, (op.method, path)
        assert "needs scope 'write'" in response.json["message"]
    assert counts(app) == (0, 0)


def test_openapi_describes_the_results_route(client) -> None:
    document = client.get(f"{PREFIX}/openapi.json").json
    operation = document["paths"][f"{PREFIX}/results"]["post"]
    assert operation["security"] == [{"bearer": ["results"]}]
    assert document["paths"][f"{PREFIX}/incidents"]["post"]["security"] == [{"bearer": ["write"]}]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["results"]["maxItems"] == MAX_RESULTS
    assert "started_at" in schema["properties"]["results"]["items"]["required"]
    assert {"200", "401", "403", "413", "422"} <= set(operation["responses"])
    assert document["components"]["schemas"]["ResultsRecorded"]["required"] == [
        "accepted",
        "duplicates",
        "refused",
    ]
    assert "429" in operation["responses"]
