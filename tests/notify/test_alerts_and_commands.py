"""On-call alerts, the delivery and subscriber commands, exports, and the admin screen."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from statuspage import create_app
from statuspage.config import ConfigError
from statuspage.notify import alerts, outbox, outcomes
from statuspage.notify.delivery import Deliverer
from statuspage.observe.site import scrape
from statuspage.staff.accounts import create_user
from statuspage.store.db import db, utcnow
from statuspage.store.models import ProbeState, Subscriber
from tests.notify.flows import confirmed, deliver, open_incident

ALERTS = """
[alerts]
emails = ["oncall@capgo.app"]
slack = ["${ONCALL_SLACK}"]
"""


@pytest.fixture
def config_path(write_config):
    from statuspage import DEFAULT_CONFIG

    return write_config(DEFAULT_CONFIG.read_text() + ALERTS)


def test_alerts_table_refuses_unknown_keys_with_one_line(write_config) -> None:
    from statuspage.config import load_config

    path = write_config('[site]\nname = "A"\nurl = "https://a.test"\n[alerts]\nemail = ["x@y.z"]\n')
    with pytest.raises(ConfigError, match=r"\[alerts\]: unknown key 'email'"):
        load_config(path)
    path = write_config(
        '[site]\nname = "A"\nurl = "https://a.test"\n[alerts]\nslack = ["http://x"]\n'
    )
    with pytest.raises(ConfigError, match="https://") as refused:
        load_config(path)
    assert "http://x" not in str(refused.value)  # a chat URL is a secret


def test_automatic_incident_alerts_on_call_first(app, smtp, hooks, monkeypatch) -> None:
    monkeypatch.setenv("ONCALL_SLACK", hooks.url("/oncall"))
    from statuspage.engine.automatic import _open_incident
    from statuspage.store.models import Component
    from statuspage.vocabulary import ComponentStatus

    with app.app_context():
        component = db.session.execute(
            db.select(Component).filter_by(slug="live-updates")
        ).scalar_one()
        db.session.add(
            Subscriber(
                kind="email",
                identity="c",
                email="cust@example.com",
                confirmed_at=utcnow() - timedelta(minutes=1),
            )
        )
        db.session.commit()
        _open_incident(
            component,
            ComponentStatus.OPERATIONAL,
            ComponentStatus.MAJOR_OUTAGE,
            "Automated checks of Live Updates have been failing.",
            utcnow(),
        )
        db.session.commit()
    deliver(app)
    [alert] = smtp.to("oncall@capgo.app")
    assert alert["Subject"] == "[Capgo alert] Major outage of Live Updates"
    assert "https://status.capgo.app/admin/incidents/" in alert.get_body(("plain",)).get_content()
    [slack] = hooks.hits("/oncall")
    assert "Post a note" in slack.body.decode()
    [customer] = smtp.to("cust@example.com")  # an automatic incident tells subscribers too
    staff_first = smtp.messages.index(alert) < smtp.messages.index(customer)
    assert staff_first


def test_a_location_that_stops_reporting_alerts_once(app, smtp) -> None:
    now = utcnow()
    with app.app_context():
        db.session.add(
            ProbeState(
                probe_key="live-updates/update-check",
                location="eu-west",
                component_id=1,
                confirmed="up",
                confirmed_since=now,
                reported_at=now - timedelta(minutes=10),
                last_outcome="up",
            )
        )
        db.session.commit()
        config = app.config["STATUS"]
        assert alerts.check_locations(config, now) == 1
        assert alerts.check_locations(config, now + timedelta(minutes=1)) == 0
        state = db.session.get(ProbeState, ("live-updates/update-check", "eu-west"))
        state.reported_at = now + timedelta(minutes=2)
        db.session.commit()
        assert alerts.check_locations(config, now + timedelta(minutes=2)) == 1
    deliver(app)
    subjects = [m["Subject"] for m in smtp.to("oncall@capgo.app")]
    assert subjects == [
        "[Capgo alert] Probes at eu-west stopped reporting",
        "[Capgo alert] Probes at eu-west report again",
    ]


def test_deliver_once_and_subscriber_commands(app, client, smtp, runner) -> None:
    confirmed(app, client, smtp, "ann@example.com", components=("live-updates",))
    confirmed(app, client, smtp, "bob@example.com")
    open_incident(app)
    env = {"STATUSPAGE_SMTP_URL": smtp.url, "STATUSPAGE_SECRET_KEY": app.config["SECRET_KEY"]}
    result = runner.invoke(args=["deliver", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "delivered 2" in result.output
    assert len(smtp.messages) == 4  # two confirmations, two incident mails
    listed = runner.invoke(args=["subscribers", "list"])
    assert "ann@example.com" in listed.output and "live-updates" in listed.output
    exported = runner.invoke(args=["subscribers", "export"])
    assert exported.output.splitlines()[0].startswith("code,kind,email")
    assert "bob@example.com" in exported.output and "whsec_" not in exported.output
    assert runner.invoke(args=["subscribers", "remove", "ann@example.com"]).exit_code == 0
    assert runner.invoke(args=["subscribers", "remove", "nobody@example.com"]).exit_code == 1
    assert "ann@example.com" not in runner.invoke(args=["subscribers", "list"]).output


def test_export_leaves_subscribers_out_unless_asked(app, client, smtp, runner) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    plain = runner.invoke(args=["export"])
    assert plain.exit_code == 0 and "ann@example.com" not in plain.output
    assert "subscriber" not in json.loads(plain.output)["tables"]
    full = runner.invoke(args=["export", "--with-subscribers"])
    assert "ann@example.com" in full.output
    tables = json.loads(full.output)["tables"]
    assert "notification" not in tables and "notification_event" not in tables


def test_no_address_in_public_output_or_logs(app, client, smtp, caplog) -> None:
    caplog.set_level("DEBUG")
    confirmed(app, client, smtp, "secret.person@example.com")
    open_incident(app)
    deliver(app)
    for path in ("/", "/api/v2/summary.json", "/api/v2/incidents.json", "/history.atom"):
        assert "secret.person" not in client.get(path).get_data(as_text=True)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert not any("secret.person" in line for line in ours)  # mail.log: the test server


def test_smtp_password_stays_out_of_errors_and_reprs(database_url) -> None:
    url = "smtp+starttls://mailer:hunter2-very-secret@127.0.0.1:1/"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SMTP_URL": url})
    deliverer = Deliverer(app)
    assert "hunter2" not in repr(deliverer.smtp) and "hunter2" not in deliverer.smtp.safe
    with pytest.raises(ConfigError) as bad:
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SMTP_URL": "ftp://u:hunter2@h",
            }
        )
    assert "hunter2" not in str(bad.value)


def test_admin_subscribers_screen_and_notify_control(app, client, smtp) -> None:
    with app.app_context():
        create_user("alice@capgo.app", "correct horse battery")
    client.post(
        "/admin/sign-in", data={"email": "alice@capgo.app", "password": "correct horse battery"}
    )
    assert "No one is subscribed yet" in client.get("/admin/incidents/new").get_data(as_text=True)
    confirmed(app, client, smtp, "ann@example.com", components=("analytics",))
    code = open_incident(app, notify=False)
    page = client.get(f"/admin/incidents/{code}").get_data(as_text=True)
    assert "No subscriber follows this event" in page
    confirmed(app, client, smtp, "bob@example.com")
    assert "Reaches 1 subscriber." in client.get(f"/admin/incidents/{code}").get_data(as_text=True)
    screen = client.get("/admin/subscribers/?q=ann").get_data(as_text=True)
    assert "ann@example.com" in screen and "bob@example.com" not in screen
    assert "Analytics: 1" in screen
    csv = client.get("/admin/subscribers/export.csv")
    assert csv.mimetype == "text/csv" and "bob@example.com" in csv.get_data(as_text=True)
    with app.app_context():
        ann = db.session.execute(db.select(Subscriber).filter_by(email="ann@example.com")).scalar()
        ann_code = ann.code
    client.post(f"/admin/subscribers/{ann_code}/remove")
    assert "ann@example.com" not in client.get("/admin/subscribers/").get_data(as_text=True)
    added = client.post(
        "/admin/subscribers/hooks", data={"kind": "webhook", "url": "http://127.0.0.1:9/x"}
    )
    assert "whsec_" in added.get_data(as_text=True)
    assert "whsec_" not in client.get("/admin/subscribers/").get_data(as_text=True)
    with app.app_context():
        create_user("ed@capgo.app", "correct horse battery", role="editor")
    editor = app.test_client()
    editor.post(
        "/admin/sign-in", data={"email": "ed@capgo.app", "password": "correct horse battery"}
    )
    assert editor.get("/admin/subscribers/").status_code == 403  # addresses: admins only


def test_fan_out_is_idempotent(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    open_incident(app)
    with app.app_context():
        events = outbox.events_to_fan_out()
        assert outbox.fan_out(events[0], app.config["STATUS"], utcnow()) == 1
        assert outbox.fan_out(events[0], app.config["STATUS"], utcnow()) == 0


def test_housekeeping_forgets_old_deliveries_and_unconfirmed_addresses(app, client, smtp) -> None:
    confirmed(app, client, smtp, "ann@example.com")
    from tests.notify.flows import subscribe

    subscribe(client, "never@example.com")
    open_incident(app)
    deliver(app)
    later = utcnow() + timedelta(days=31)
    with app.app_context():
        assert outcomes.prune(later) > 0
        from statuspage.store.models import Notification, NotificationEvent

        assert db.session.execute(db.select(Notification)).scalars().all() == []
        assert db.session.execute(db.select(NotificationEvent)).scalars().all() == []
        emails = db.session.execute(db.select(Subscriber.email)).scalars().all()
    assert emails == ["ann@example.com"]


def test_metrics_count_the_outbox_by_channel_and_state(app, client, smtp) -> None:
    def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        with app.app_context():
            text = scrape(app.config["STATUS"]).decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    waiting = "statuspage_notifications_oldest_pending_seconds"
    confirmed(app, client, smtp, "ann@example.com")  # the confirmation mail, sent
    assert scraped()["statuspage_notifications", (("channel", "email"), ("state", "sent"))] == 1
    assert scraped()[waiting, ()] == 0
    open_incident(app)
    with app.app_context():
        (event,) = outbox.events_to_fan_out()
        outbox.fan_out(event, app.config["STATUS"], utcnow())
    pending = scraped()
    assert pending["statuspage_notifications", (("channel", "email"), ("state", "pending"))] == 1
    assert pending[waiting, ()] >= 0
    deliver(app)
    sent = scraped()
    assert sent["statuspage_notifications", (("channel", "email"), ("state", "sent"))] == 2
    assert sent["statuspage_notifications", (("channel", "email"), ("state", "pending"))] == 0
    assert sent[waiting, ()] == 0
    assert "ann@example.com" not in repr(sent)  # counts only, never an address
