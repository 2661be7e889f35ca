"""Steps the notification tests share: subscribe through the site, confirm, deliver, post."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from statuspage import staff
from statuspage.notify.delivery import Deliverer
from statuspage.store.db import utcnow
from tests.notify.helpers import MailServer, text_of

ALICE = staff.Actor("alice@capgo.app")
LINK = re.compile(r"https://status\.capgo\.app(/[\w/.\-]+)")


def deliver(app: Flask) -> dict[str, int]:
    """Drain the outbox once, as `statuspage deliver --once` does."""
    return dict(Deliverer(app).drain())


def subscribe(client: FlaskClient, address: str, components: tuple[str, ...] = (), **extra):
    response = client.post(
        "/subscribe", data={"email": address, "components": list(components), **extra}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Check your inbox" in response.get_data(as_text=True)
    return response


def link_in(message, kind: str) -> str:
    """Return the path of the first link of this kind ("confirm", "unsubscribe") in a mail."""
    for path in LINK.findall(text_of(message)):
        if f"/{kind}" in path:
            return path
    raise AssertionError(f"no {kind} link in {text_of(message)!r}")


def confirmed(app: Flask, client: FlaskClient, smtp: MailServer, address: str, **kw) -> None:
    """Subscribe an address and click its confirmation link."""
    subscribe(client, address, **kw)
    deliver(app)
    mail = [m for m in smtp.to(address) if "Confirm" in m["Subject"]][-1]
    response = client.post(link_in(mail, "subscribe/confirm"))
    assert "You are subscribed" in response.get_data(as_text=True)


def open_incident(app: Flask, components: dict[str, str] | None = None, **fields):
    with app.app_context():
        values = {
            "name": "Update checks failing",
            "status": "investigating",
            "body": "We are looking into it.",
            "components": {"live-updates": "major_outage"} if components is None else components,
            "notify": True,
        }
        values.update(fields)
        incident = staff.create_incident(ALICE, app.config["STATUS"], utcnow(), **values)
        return incident.code


def unsubscribe_path(message) -> str:
    header = message["List-Unsubscribe"]
    return urlsplit(re.search(r"<(https://[^>]+)>", header).group(1)).path
