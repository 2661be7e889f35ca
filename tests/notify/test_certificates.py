"""Certificate expiry: every https probe records when its certificate expires, and one within
[alerts] certificate_days raises one on-call alert and shows on the admin side, never as
public downtime (the service still works).

The certificates are issued in the test by a throwaway CA (trustme) for a loopback HTTPS
stand-in; the probe trusts that CA through its session, as production trusts the public ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from probes import Outcome, ProbeDefinition, Result, run_probe
from probes.transport import new_session
from statuspage.engine import ProbeService, ingest
from statuspage.staff.accounts import create_user
from statuspage.store.db import db
from statuspage.store.models import Incident, NotificationEvent, ProbeState
from tests.factories import probe_result
from tests.notify.flows import deliver
from tests.standin import CapgoStandIn

NOW = datetime.now(UTC).replace(microsecond=0)
EXPIRES = NOW + timedelta(days=3)
PROBE = "live-updates/edge"


@pytest.fixture
def capgo() -> Iterator[CapgoStandIn]:
    with CapgoStandIn(tls=True, expires_at=EXPIRES) as standin:
        yield standin


@pytest.fixture
def config_path(write_config, capgo):
    return write_config(
        '[site]\nname = "Capgo"\nurl = "https://status.capgo.app"\n'
        '[alerts]\nemails = ["oncall@capgo.app"]\n'
        '[[components]]\nslug = "live-updates"\nname = "Live Updates"\n'
        f'[[components.probes]]\nname = "Edge"\nurl = "{capgo.url}/ok"\n'
        'expect_json = { status = "ok" }\n'
    )


def probe_once(app, capgo: CapgoStandIn) -> Result:
    """Run the configured probe against the stand-in, trusting the test's CA."""
    [definition] = app.config["STATUS"].probes
    session = new_session()
    session.verify = capgo.ca_path
    try:
        return run_probe(definition, location="eu", session=session)
    finally:
        session.close()


def test_a_probe_notes_when_a_verified_certificate_expires(app, capgo) -> None:
    result = probe_once(app, capgo)
    assert result.outcome is Outcome.UP
    assert result.certificate_expires_at == EXPIRES
    # It travels with the result, as a probe agent sends it.
    assert Result.from_dict(result.to_dict()) == result


def test_an_unverified_or_plain_connection_knows_no_expiry(capgo) -> None:
    # Python reads a certificate's dates only once it verified it: here nothing trusts the CA.
    untrusted = ProbeDefinition(key="x/tls", component="x", name="tls", url=f"{capgo.url}/ok")
    result = run_probe(untrusted, location="eu")
    assert (result.outcome, result.reason) == (Outcome.DOWN, "TLS: certificate verify failed")
    assert result.certificate_expires_at is None
    with CapgoStandIn() as plain:
        definition = ProbeDefinition(key="x/plain", component="x", name="plain", url=plain.url)
        assert run_probe(definition, location="eu").certificate_expires_at is None


def test_a_certificate_three_days_from_expiry_alerts_once_and_is_no_downtime(
    app, client, smtp, capgo
) -> None:
    result = probe_once(app, capgo)
    probing = ProbeService(app, environ={"STATUSPAGE_LOCATION": "eu"}, clock=lambda: NOW)
    probing.record([result])
    probing.tick()
    probing.tick()  # the next tick, 15 s later in production: the same certificate, no repeat
    deliver(app)
    [alert] = smtp.to("oncall@capgo.app")
    assert alert["Subject"] == "[Capgo alert] The TLS certificate of 127.0.0.1 expires in 3 days"
    body = alert.get_body(("plain",)).get_content()
    assert "Edge" in body and "https://status.capgo.app/admin/checks/" in body

    with app.app_context():
        state = db.session.get(ProbeState, (PROBE, "eu"))
        assert (state.confirmed, state.certificate_expires_at) == ("up", EXPIRES)
        assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == 0
        kinds = db.session.execute(db.select(NotificationEvent.kind)).scalars().all()
        assert kinds == ["alert.certificate"]  # nothing for subscribers: nothing is down
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "none"
    assert "certificate" not in client.get("/").get_data(as_text=True).lower()

    with app.app_context():
        create_user("alice@capgo.app", "correct horse battery")
    client.post(
        "/admin/sign-in", data={"email": "alice@capgo.app", "password": "correct horse battery"}
    )
    checks = client.get("/admin/checks/").get_data(as_text=True)
    assert "127.0.0.1" in checks and "expires soon" in checks and "(3 days)" in checks
    incidents = client.get("/admin/").get_data(as_text=True)
    assert "1 TLS certificate the probes see" in incidents and "expires soon" in incidents


def test_a_certificate_far_from_expiry_alerts_nobody(app, smtp) -> None:
    # Past the default 14 days.
    later = probe_result(PROBE, location="eu", certificate_expires_at=NOW + timedelta(days=15))
    with app.app_context():
        ingest([later], app.config["STATUS"], NOW)
    ProbeService(app, environ={"STATUSPAGE_LOCATION": "eu"}, clock=lambda: NOW).tick()
    deliver(app)
    assert smtp.to("oncall@capgo.app") == []


def test_an_agent_reports_the_expiry_with_its_results(app, client) -> None:
    from statuspage.staff.tokens import create_token

    with app.app_context():
        token = create_token("agent", "results", location="eu")
    result = probe_result(PROBE, location="eu", certificate_expires_at=EXPIRES)
    sent = {"id": "r1", **result.to_dict()}
    answer = client.post(
        "/api/v1/results",
        json={"results": [sent]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ProbeState, (PROBE, "eu")).certificate_expires_at == EXPIRES
    bad = dict(sent, id="r2", certificate_expires_at="soon")
    refused = client.post(
        "/api/v1/results", json={"results": [bad]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 422
    assert "certificate_expires_at" in refused.get_data(as_text=True)
