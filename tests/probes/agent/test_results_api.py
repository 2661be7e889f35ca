"""The site side of reporting: POST /api/v1/results, its checks, limits and scope."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from statuspage.staff.tokens import create_token
from statuspage.store.db import db, utcnow
from statuspage.store.models import ProbeResult, ProbeState
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
    assert first.json == {"accepted": 2, "duplicates": 0}
    again = post({"results": [*batch, result().to_dict()]})
    assert again.json == {"accepted": 1, "duplicates": 2}
    assert counts(app) == (3, 2)
    assert post({"results": []}).json == {"accepted": 0, "duplicates": 0}


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
        (bad(0, started_at=(utcnow() + timedelta(hours=1)).isoformat()), "results[0].started_at"),
        (bad(1, outcome="sideways"), "results[1].outcome"),
        (bad(2, latency_ms="12"), "results[2].latency_ms"),
        (bad(2, latency_ms=-1), "results[2].latency_ms"),
        (bad(2, http_status=True), "results[2].http_status"),
        (bad(2, http_status=200.5), "results[2].http_status"),
        (bad(1, id=""), "results[1].id"),
        (bad(1, id="x" * 65), "results[1].id"),
        (bad(1, reason="\x00"), "results[1].reason"),
        (bad(1, component="billing", probe_key="billing/x"), "results[1].component"),
        (bad(1, probe_key="analytics/worker"), "results[1].probe_key"),
        ([*bad(0)[:2], "not an object"], "results[2]"),
        ([{k: v for k, v in result().to_dict().items() if k != "reason"}], "results[0].reason"),
    ],
)
def test_an_invalid_result_refuses_the_whole_request(app, post, items, field) -> None:
    response = post({"results": items})
    assert response.status_code == 422, response.json
    assert response.json["field"] == field
    assert response.json["message"].startswith(field)
    assert counts(app) == (0, 0)


def test_results_request_limits(app, post) -> None:
    too_many = post({"results": [result().to_dict()] * (MAX_RESULTS + 1)})
    assert too_many.status_code == 422 and too_many.json["field"] == "results"
    # 1,000 results with long reasons: more than the other routes' 64 KiB, within 1 MiB.
    full = [result(reason="r" * 300).to_dict() for _ in range(MAX_RESULTS)]
    size = len(json.dumps({"results": full}))
    assert 64 * 1024 < size < RESULTS_MAX_BYTES
    assert post({"results": full}).json == {"accepted": MAX_RESULTS, "duplicates": 0}
    huge = post({"results": [result(reason="r" * 300).to_dict()] * 2500})
    assert huge.status_code == 413 and str(RESULTS_MAX_BYTES) in huge.json["message"]
    assert post({"result": []}).status_code == 422  # unknown key, as elsewhere in the API


def test_scopes_keep_agents_and_staff_apart(app, client, post) -> None:
    with app.app_context():
        write = create_token("ci")
        agent = create_token("us-agent", "results")
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
    ]
