"""Maintenance announcements follow the clock; messages hold up outside plain ASCII."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

from statuspage import staff
from statuspage.engine import advance_maintenances
from statuspage.notify import mail
from statuspage.notify.outbox import Claimed
from statuspage.staff.tokens import create_token
from statuspage.store.db import utcnow
from tests.notify.flows import ALICE, confirmed, deliver


def subjects(smtp, address):
    return [m["Subject"] for m in smtp.to(address) if "Confirm" not in m["Subject"]]


def test_maintenance_scheduled_started_completed(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    now = utcnow()
    with app.app_context():
        config = app.config["STATUS"]
        staff.schedule_maintenance(
            ALICE,
            config,
            now,
            name="Database upgrade",
            scheduled_for=now + timedelta(hours=1),
            scheduled_until=now + timedelta(hours=2),
            components=["app-management"],
            notify=True,
        )
        staff.schedule_maintenance(
            ALICE,
            config,
            now,
            name="Quiet work",
            scheduled_for=now + timedelta(hours=1),
            scheduled_until=now + timedelta(hours=2),
            components=["analytics"],
        )
        advance_maintenances(config, now + timedelta(hours=1, minutes=1))
        advance_maintenances(config, now + timedelta(hours=2, minutes=1))
    deliver(app)
    assert subjects(smtp, "ann@example.com") == [
        "[Capgo Status] Scheduled maintenance: Database upgrade",
        "[Capgo Status] Maintenance started: Database upgrade",
        "[Capgo Status] Maintenance completed: Database upgrade",
    ]


def test_fast_message_matches_the_email_package(app) -> None:
    item = Claimed(
        id=1,
        claim="c",
        channel="email",
        recipient="s1",
        attempts=1,
        created_at=utcnow(),
        event_id=1,
        event_key="update:x",
        kind="incident.created",
        payload={},
        subscriber=None,
    )
    rendered = mail.Rendered(
        "[Café Status] Panne: déploiement « bloqué »",
        "Texte é " * 40 + "\nLien: " + mail.UNSUBSCRIBE_MARK,
        "<p>é</p>",
    )
    envelope = mail.Envelope("Café Status <status@cafe.test>", "help@cafe.test")
    url = "https://status.cafe.test/unsubscribe/" + "t" * 120
    raw = mail.build_bytes(
        rendered, "ann@example.com", envelope, item, unsubscribe_url=url, unsubscribe_code="abc"
    )
    assert raw is not None and raw.isascii() and all(len(line) < 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == rendered.subject
    assert url in parsed.get_body(("plain",)).get_content()
    assert (
        parsed["List-Unsubscribe"] == f"<{url}>, <mailto:help@cafe.test?subject=unsubscribe%20abc>"
    )
    assert (
        mail.build_bytes(
            rendered,
            "anné@example.com",
            envelope,
            item,
            unsubscribe_url=url,
            unsubscribe_code="abc",
        )
        is None
    )  # the email package's turn


def test_api_notify_flag_reaches_subscribers(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    with app.app_context():
        secret = create_token("bot")
    response = client.post(
        "/api/v1/incidents",
        json={"name": "API says", "status": "investigating", "body": "Hi", "notify": True},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    deliver(app)
    assert subjects(smtp, "ann@example.com") == ["[Capgo Status] New incident: API says"]
