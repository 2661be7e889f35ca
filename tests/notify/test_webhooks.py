"""Webhooks and chat channels through a real HTTP receiver on loopback, signed and checked."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from statuspage import staff
from statuspage.notify import subscribers, webhooks
from statuspage.notify.delivery import Deliverer
from statuspage.store.db import db, utcnow
from statuspage.store.models import Component, Notification, Subscriber
from statuspage.vocabulary import Channel
from tests.notify.flows import ALICE, deliver, link_in, open_incident


def add_hook(app, url, kind=Channel.WEBHOOK, email="owner@example.com"):
    with app.app_context():
        subscriber, secret = subscribers.add_hook(kind, url, email, utcnow())
        return subscriber.code, secret


def test_signature_verifies_with_the_standard_webhooks_package() -> None:
    secret = webhooks.new_secret()
    body = b'{"hello": "world"}'
    headers = webhooks.signed_headers(secret, "msg_1", int(time.time()), body)
    assert headers["webhook-signature"].startswith("v1,")
    Webhook(secret).verify(body, headers)  # raises if wrong
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)


def test_incident_webhook_is_signed_and_in_statuspages_shape(app, hooks) -> None:
    code, secret = add_hook(app, hooks.url("/hook"))
    assert secret.startswith("whsec_")
    incident = open_incident(app)
    deliver(app)
    [hit] = [h for h in hooks.hits("/hook") if "incident" in h.json()]
    Webhook(secret).verify(hit.body, hit.headers)
    assert hit.headers["webhook-id"].startswith("msg_")
    body = hit.json()
    assert set(body) == {"meta", "page", "incident"}
    assert body["meta"]["unsubscribe"].startswith("https://status.capgo.app/unsubscribe/")
    assert set(body["page"]) == {"id", "status_indicator", "status_description"}
    assert body["incident"]["id"] == incident and body["incident"]["status"] == "investigating"
    assert body["incident"]["incident_updates"][0]["body"] == "We are looking into it."
    assert body["incident"]["components"][0]["name"] == "Live Updates"


def test_component_status_changes_go_to_webhooks_only(app, smtp, hooks) -> None:
    _, secret = add_hook(app, hooks.url("/hook"))
    with app.app_context():
        staff.set_component_status(
            ALICE, app.config["STATUS"], utcnow(), "analytics", "partial_outage"
        )
        component = db.session.execute(
            db.select(Component).filter_by(slug="analytics")
        ).scalar_one()
        component_code = component.code
    deliver(app)
    [hit] = hooks.hits("/hook")
    Webhook(secret).verify(hit.body, hit.headers)
    body = hit.json()
    assert set(body) == {"meta", "page", "component_update", "component"}
    update = body["component_update"]
    assert update["old_status"] == "operational" and update["new_status"] == "partial_outage"
    assert update["component_id"] == component_code == body["component"]["id"]
    assert set(update) == {"created_at", "old_status", "new_status", "id", "component_id"}
    assert set(body["component"]) == {"id", "name", "status", "created_at"}
    assert smtp.messages == []


def test_chat_payloads_escape_and_carry_status(app, hooks) -> None:
    add_hook(app, hooks.url("/slack"), Channel.SLACK)
    add_hook(app, hooks.url("/discord"), Channel.DISCORD)
    add_hook(app, hooks.url("/teams"), Channel.TEAMS)
    open_incident(app, name="Push <!channel> down", body="@everyone <https://evil|click> & more")
    deliver(app)
    slack = hooks.hits("/slack")[0].json()
    blocks = slack["attachments"][0]["blocks"]
    mrkdwn = [slack["text"]] + [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all("<!channel>" not in text and "<https" not in text for text in mrkdwn)
    assert "&lt;!channel&gt;" in slack["text"]
    assert "&lt;https://evil|click&gt; &amp; more" in mrkdwn[-1]
    assert slack["attachments"][0]["color"] == "#d73a49"  # critical: a major outage
    discord = hooks.hits("/discord")[0].json()
    assert discord["allowed_mentions"] == {"parse": []}
    assert discord["embeds"][0]["title"] == "Push <!channel> down"
    assert discord["embeds"][0]["url"].startswith("https://status.capgo.app/incidents/")
    teams = hooks.hits("/teams")[0].json()
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"][0]["type"] == "Action.OpenUrl"


def test_a_hanging_receiver_delays_no_other_delivery(app, smtp, hooks) -> None:
    hooks.hang("/hang")
    add_hook(app, hooks.url("/hang"))
    for n in range(5):
        add_hook(app, hooks.url(f"/fast{n}"))
    with app.app_context():
        subscriber = Subscriber(
            kind="email", identity="x", email="ann@example.com", confirmed_at=utcnow()
        )
        db.session.add(subscriber)
        db.session.commit()
    start = time.monotonic()
    open_incident(app)
    deliverer = Deliverer(app)
    deliverer.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (
            len([h for h in hooks.hits() if h.path.startswith("/fast")]) < 5 or not smtp.messages
        ):
            time.sleep(0.02)
        fast = time.monotonic() - start
        page = app.test_client().get("/")
        assert page.status_code == 200
    finally:
        deliverer.stop(timeout=5)
    assert fast < 1.5, f"the others waited {fast:.2f} s behind a receiver that hangs"
    assert len(smtp.to("ann@example.com")) == 1


def test_failing_receiver_is_retried_then_disabled_and_its_owner_told(app, smtp, hooks) -> None:
    hooks.answer("/down", 503)
    add_hook(app, hooks.url("/down"))
    open_incident(app, components={})
    app.config["NOTIFY_GIVE_UP_S"] = 3600
    deliver(app)  # first attempt fails: a retry is scheduled (backoff 0 in tests)
    assert len(hooks.hits("/down")) >= 1
    with app.app_context():
        notification = db.session.execute(db.select(Notification)).scalar_one()
        assert (
            notification.state == "pending" and notification.last_error == "HTTP 503, expected 2xx"
        )
        notification.created_at = utcnow().replace(year=2020)  # a day has passed
        db.session.commit()
    app.config["NOTIFY_GIVE_UP_S"] = 86400
    deliver(app)
    with app.app_context():
        subscriber = db.session.execute(db.select(Subscriber)).scalar_one()
        assert subscriber.disabled_at is not None and "503" in subscriber.disabled_reason
        states = {n.state for n in db.session.execute(db.select(Notification)).scalars()}
    assert "failed" in states
    [notice] = smtp.to("owner@example.com")
    assert "disabled" in notice["Subject"] and "127.0.0.1" in notice.get_body().get_content()
    before = len(hooks.hits("/down"))
    open_incident(app, name="Next")
    deliver(app)
    assert len(hooks.hits("/down")) == before  # a disabled webhook gets nothing more


def test_webhook_sign_up_confirms_by_mail_and_shows_the_secret_once(app, client, smtp, hooks):
    response = client.post(
        "/subscribe/hook",
        data={"kind": "webhook", "url": hooks.url("/mine"), "email": "dev@example.com"},
    )
    assert response.status_code == 200 and "whsec_" not in response.get_data(as_text=True)
    deliver(app)
    path = link_in(smtp.to("dev@example.com")[0], "subscribe/confirm")
    assert "whsec_" not in client.get(path).get_data(as_text=True)  # a scanner's GET
    shown = client.post(path).get_data(as_text=True)
    secret = shown.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("whsec_")
    assert "whsec_" not in client.post(path).get_data(as_text=True)  # once
    open_incident(app)
    deliver(app)
    hit = hooks.hits("/mine")[0]
    Webhook(secret).verify(hit.body, hit.headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "https://127.0.0.1/hook",  # loopback
        "https://10.0.0.5/hook",  # private
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
        "https://user:pw@example.com/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_webhook_urls_must_not_reach_inside(url) -> None:
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.vet(url, allow_loopback=False)


def test_loopback_only_with_the_test_setting(hooks) -> None:
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.vet(hooks.url("/x"))
    assert webhooks.vet(hooks.url("/x"), allow_loopback=True).address == "127.0.0.1"
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.vet("https://10.0.0.5/x", allow_loopback=True)  # still never private
    answer = webhooks.post(hooks.url("/x"), b"{}", {})  # delivery checks again
    assert not answer.ok and answer.reason.startswith("refused")
    assert hooks.hits() == []


def test_chat_urls_must_be_on_their_platform(app) -> None:
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    with app.app_context(), pytest.raises(staff.Invalid, match="hooks.slack.com"):
        subscribers.valid_hook_url(Channel.SLACK, "https://example.com/services/x")
