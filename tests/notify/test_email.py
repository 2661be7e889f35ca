"""Email subscribers through a real SMTP server on loopback: sign-up to one-click unsubscribe."""

from __future__ import annotations

import pytest

from statuspage import staff
from statuspage.notify.events import announce_update
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident, IncidentUpdate, Notification, Subscriber
from tests.notify.flows import (
    ALICE,
    confirmed,
    deliver,
    link_in,
    open_incident,
    subscribe,
    unsubscribe_path,
)
from tests.notify.helpers import html_of, text_of


def incident_mails(smtp, address):
    return [m for m in smtp.to(address) if "Confirm" not in m["Subject"]]


def test_subscribe_confirm_incident_sends_exactly_one_mail(app, client, smtp) -> None:
    page = client.get("/subscribe").get_data(as_text=True)
    assert 'name="email"' in page and 'name="components"' in page and 'value="live-updates"' in page
    subscribe(client, "ann@example.com")
    deliver(app)
    assert len(smtp.to("ann@example.com")) == 1  # the confirmation only
    confirmation = smtp.to("ann@example.com")[0]
    assert "/subscribe/confirm/" in text_of(confirmation)
    client.post(link_in(confirmation, "subscribe/confirm"))
    open_incident(app)
    deliver(app)
    deliver(app)  # nothing left: a second drain sends nothing again
    mails = incident_mails(smtp, "ann@example.com")
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Subject"] == "[Capgo Status] New incident: Update checks failing"
    text, html = text_of(mail), html_of(mail)
    for part in (text, html):
        assert "Update checks failing" in part and "We are looking into it." in part
        assert "Live Updates" in part and "Major Outage" in part and "Investigating" in part
        assert "https://status.capgo.app/incidents/" in part
    assert mail["Message-ID"].endswith("@capgo.app>")
    unsubscribe = mail["List-Unsubscribe"]
    assert "<https://status.capgo.app/unsubscribe/" in unsubscribe
    assert "<mailto:support@capgo.app?subject=unsubscribe" in unsubscribe
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["From"] == "Capgo Status <status@capgo.app>"


def test_updates_resolution_and_postmortem_follow_the_notify_flag(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    code = open_incident(app)
    config = app.config["STATUS"]
    with app.app_context():
        incident = staff.get_incident(code)
        staff.post_update(ALICE, config, utcnow(), incident, status="identified", body="Quiet.")
        staff.post_update(
            ALICE, config, utcnow(), incident, status="monitoring", body="Fixed.", notify=True
        )
        staff.post_update(
            ALICE, config, utcnow(), incident, status="resolved", body="", notify=True
        )
        staff.change_incident(ALICE, config, utcnow(), incident, postmortem="Why.", notify=True)
        staff.change_incident(ALICE, config, utcnow(), incident, postmortem="Again.", notify=True)
    deliver(app)
    subjects = [m["Subject"].split("] ")[1] for m in incident_mails(smtp, "ann@example.com")]
    assert subjects == [
        "New incident: Update checks failing",
        "Update: Update checks failing",
        "Resolved: Update checks failing",
        "Postmortem: Update checks failing",
    ]


def test_component_filters(app, client, smtp) -> None:
    confirmed(app, client, smtp, "live@example.com", components=("live-updates",))
    confirmed(app, client, smtp, "stats@example.com", components=("analytics",))
    confirmed(app, client, smtp, "all@example.com")
    open_incident(app)  # live-updates
    deliver(app)
    assert len(incident_mails(smtp, "live@example.com")) == 1
    assert len(incident_mails(smtp, "all@example.com")) == 1
    assert incident_mails(smtp, "stats@example.com") == []
    open_incident(app, components={}, name="Something odd")  # touches no component: everyone
    deliver(app)
    counts = [len(incident_mails(smtp, f"{n}@example.com")) for n in ("live", "stats", "all")]
    assert counts == [2, 1, 2]


def test_unconfirmed_and_unsubscribed_get_nothing(app, client, smtp) -> None:
    subscribe(client, "lazy@example.com")  # never confirms
    confirmed(app, client, smtp, "gone@example.com")
    first = open_incident(app)
    deliver(app)
    mail = incident_mails(smtp, "gone@example.com")[0]
    assert client.post(unsubscribe_path(mail)).status_code == 200
    open_incident(app, name="Second")
    with app.app_context():
        staff.post_update(
            ALICE,
            app.config["STATUS"],
            utcnow(),
            staff.get_incident(first),
            status="resolved",
            body="",
            notify=True,
        )
    deliver(app)
    assert incident_mails(smtp, "lazy@example.com") == []
    assert len(incident_mails(smtp, "gone@example.com")) == 1
    with app.app_context():
        assert db.session.execute(db.select(Subscriber.email)).scalars().all() == [
            "lazy@example.com"
        ]


def test_one_click_unsubscribe_and_the_page_for_people(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    open_incident(app)
    deliver(app)
    path = unsubscribe_path(incident_mails(smtp, "ann@example.com")[0])
    app.config["WTF_CSRF_ENABLED"] = True  # RFC 8058's POST carries no CSRF token
    page = client.get(path)  # a link scanner's GET: a page with a button, nothing more
    assert page.status_code == 200 and "<button" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.execute(db.select(Subscriber)).scalar() is not None
    fresh = app.test_client()  # a mail provider: no cookie, no CSRF token
    done = fresh.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and "Unsubscribed" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Subscriber)).scalar() is None
        assert db.session.execute(db.select(Notification)).scalars().all() == []
    again = fresh.post(path, data="List-Unsubscribe=One-Click")
    assert "Nothing to unsubscribe" in again.get_data(as_text=True)


def test_signing_up_again_sends_at_most_one_more_confirmation_an_hour(app, client, smtp) -> None:
    for _ in range(3):
        subscribe(client, "ann@example.com")
    deliver(app)
    assert len(smtp.to("ann@example.com")) == 1
    with app.app_context():
        subscriber = db.session.execute(db.select(Subscriber)).scalar_one()
        subscriber.confirmation_sent_at = utcnow().replace(year=2020)
        db.session.commit()
    subscribe(client, "ann@example.com")
    deliver(app)
    assert len(smtp.to("ann@example.com")) == 2
    client.post(link_in(smtp.to("ann@example.com")[-1], "subscribe/confirm"))
    known = subscribe(client, "ann@example.com").get_data(as_text=True)  # already subscribed
    unknown = subscribe(client, "new@example.com").get_data(as_text=True)
    assert known.replace("ann@", "new@") == unknown  # the same answer: no enumeration
    deliver(app)
    assert len(smtp.to("ann@example.com")) == 2


def test_sign_up_rate_limits(app, client, smtp) -> None:
    for n in range(30):  # an office behind one address
        subscribe(client, f"person{n}@example.com")
    limited = client.post("/subscribe", data={"email": "one-more@example.com"})
    assert limited.status_code == 429
    other = app.test_client()
    for _ in range(7):  # one address, from elsewhere: quietly at most 5 attempts count
        other.post(
            "/subscribe",
            data={"email": "target@example.com"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
    deliver(app)
    assert len(smtp.to("target@example.com")) == 1


def test_tokens_cannot_be_forged_or_moved_to_another_address(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    subscribe(client, "bob@example.com")
    deliver(app)
    bob_link = link_in(smtp.to("bob@example.com")[-1], "subscribe/confirm")
    token = bob_link.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(f"/subscribe/confirm/{forged}").status_code == 404
    assert client.post("/unsubscribe/" + token).get_data(as_text=True).count("Nothing") == 1
    with app.app_context():
        subscribers = db.session.execute(db.select(Subscriber)).scalars().all()
        assert len(subscribers) == 2 and all(
            s.confirmed_at or s.email == "bob@example.com" for s in subscribers
        )


def test_mail_escapes_what_people_wrote(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    open_incident(
        app,
        name="<script>alert(1)</script>\r\nBcc: victim@example.com",
        body="<img src=x onerror=alert(1)> **bold** [x](javascript:alert(1))",
    )
    deliver(app)
    mail = incident_mails(smtp, "ann@example.com")[0]
    assert mail["Bcc"] is None and "\n" not in mail["Subject"]
    html = html_of(mail)
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html and "<strong>bold</strong>" in html


def test_following_one_incident(app, client, smtp) -> None:
    code = open_incident(app, notify=False)
    page = client.get(f"/incidents/{code}").get_data(as_text=True)
    assert f'href="/subscribe?incident={code}"' in page
    form = client.get(f"/subscribe?incident={code}").get_data(as_text=True)
    assert "Update checks failing" in form and f'value="{code}"' in form
    confirmed(app, client, smtp, "fan@example.com", incident=code)
    confirmed(app, client, smtp, "both@example.com")
    confirmed(app, client, smtp, "both@example.com", incident=code)
    open_incident(app, name="Another one")
    with app.app_context():
        staff.post_update(
            ALICE,
            app.config["STATUS"],
            utcnow(),
            staff.get_incident(code),
            status="resolved",
            body="",
            notify=True,
        )
    deliver(app)
    assert [m["Subject"] for m in incident_mails(smtp, "fan@example.com")] == [
        "[Capgo Status] Resolved: Update checks failing"
    ]
    assert len(incident_mails(smtp, "both@example.com")) == 2  # not 3: one per event


def test_a_rolled_back_write_sends_nothing(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    with app.app_context(), pytest.raises(staff.Invalid):
        staff.create_incident(
            ALICE, app.config["STATUS"], utcnow(), name="x", status="nope", body="", notify=True
        )
    writing = staff.writes.writing(ALICE, "incident.create", app.config["STATUS"], utcnow())
    with app.app_context(), pytest.raises(RuntimeError), writing:
        incident = Incident(name="Never", kind="incident", status="investigating")
        update = IncidentUpdate(
            incident=incident, status="investigating", body="x", deliver_notifications=True
        )
        db.session.add_all([incident, update])
        announce_update(update, utcnow())
        raise RuntimeError("the change fails before its commit")
    with app.app_context():
        db.session.rollback()
    deliver(app)
    assert incident_mails(smtp, "ann@example.com") == []
