"""Nothing a client or a probed server sends is believed: the findings of the outside review.

Each test here failed before the fix it names: a link in a probe's reason, a result from the
future on /healthz, a control character in a feed, links poisoned by forwarded headers.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from probes import Result
from statuspage.engine import ingest
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident, IncidentUpdate
from tests.factories import minutes_ago, probe_result

LINK = "[the Capgo recovery portal](https://evil.example/login)"
REASON = f"json.error = {LINK} **now** <https://evil.example/x> &amp;"
# The pages that quote the update's text, and those that only list the incident.
QUOTING = ("/", "/history.atom", "/history.rss", "/components/live-updates/history.atom")
LISTING = ("/history", "/components/live-updates", "/uptime")


def failing(key: str, reason: str, minutes: int) -> Result:
    """Return a down result of the site's own update check (HTTP 200), `minutes` ago."""
    return probe_result(
        key,
        "down",
        started_at=minutes_ago(minutes),
        latency_ms=120.0,
        http_status=200,
        reason=reason,
    )


def open_incident_with_reason(app, reason: str) -> str:
    """Let three failing checks open an automatic incident quoting `reason`; return its code."""
    config = app.config["STATUS"]
    key = config.components[0].probes[0].key
    with app.app_context():
        for minutes in (3, 2, 1):
            ingest([failing(key, reason, minutes)], config, utcnow())
        incident = db.session.execute(db.select(Incident)).scalar_one()
        assert incident.automatic
        return incident.code


def test_a_link_in_a_probe_reason_is_text_everywhere(app, client) -> None:
    code = open_incident_with_reason(app, REASON)
    with app.app_context():
        body = db.session.execute(db.select(IncidentUpdate.body)).scalars().first()
        assert LINK in body  # stored as observed: the value is data
    for path in (*QUOTING, *LISTING, f"/incidents/{code}"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        if path not in LISTING:
            assert "the Capgo recovery portal" in page, path  # the words are shown...
        assert not re.search(r"<a [^>]*evil\.example", page), path  # ...never as a link
        assert not re.search(r"&lt;a [^&]*evil\.example", page), path  # nor a feed's link
        assert "<strong>now</strong>" not in page and "&lt;strong&gt;now" not in page, path


def test_healthz_never_reports_a_negative_age(app, client) -> None:
    config = app.config["STATUS"]
    key = config.components[0].probes[0].key
    with app.app_context():
        ahead = failing(key, "", -5)  # five minutes in the future, as an older version took
        ingest([ahead], config, utcnow())
    body = client.get("/healthz").get_json()
    assert body["newest_result_age_s"] == 0


@pytest.mark.parametrize("character", ["\u0007", "\u001b", "\ufffe", "\uffff"])
def test_a_stored_control_character_never_breaks_a_feed(app, client, character) -> None:
    """Text an older version let in: the feeds drop the character and still parse."""
    code = open_incident_with_reason(app, "HTTP 503")
    with app.app_context():
        incident = db.session.execute(db.select(Incident).filter_by(code=code)).scalar_one()
        incident.name = f"bell {character} rings"
        incident.updates[0].body = f"update {character} body"
        db.session.commit()
    for path in ("/history.atom", "/history.rss", "/components/live-updates/history.atom"):
        response = client.get(path)
        assert response.status_code == 200, path
        feed = ElementTree.fromstring(response.data)  # well-formed XML
        assert "bell  rings" in ElementTree.tostring(feed, encoding="unicode"), path


POISON = {
    "X-Forwarded-Prefix": "//evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "javascript",
    "X-Forwarded-Port": "6666",
    "X-Forwarded-Server": "evil.example",
    "X-Original-URL": "//evil.example/",
    "X-Rewrite-URL": "//evil.example/",
    "X-Host": "evil.example",
    "Forwarded": "for=203.0.113.9;host=evil.example;proto=https",
    "X-Forwarded-For": "203.0.113.9",
    "SCRIPT_NAME": "//evil.example",
}


@pytest.fixture
def settings() -> dict[str, object]:
    return {"PROXIES": 1}


@pytest.mark.parametrize("header", sorted(POISON))
@pytest.mark.parametrize(
    "path", ["/", "/uptime", "/history", "/history.atom", "/api/v2/summary.json", "/admin/sign-in"]
)
def test_no_forwarded_header_changes_what_anyone_sees(app, client, path, header) -> None:
    """One request with a poisoned header, then a visitor's: neither body names the attacker."""
    for _ in range(3):
        poisoned = client.get(path, headers={header: POISON[header]})
        visitor = client.get(path)
        assert visitor.status_code == poisoned.status_code == 200
        for response in (poisoned, visitor):
            assert "evil.example" not in response.get_data(as_text=True)
        # The sign-in page carries a fresh CSRF token each time; and a page rendered again
        # because the 30-second cache bucket turned between the two may show a later time.
        if path == "/admin/sign-in" or poisoned.data == visitor.data:
            break
    else:
        raise AssertionError(f"{path} differs with {header} three times in a row")


def test_poisoning_through_the_host_header_changes_nothing(app, client) -> None:
    for _ in range(3):
        poisoned = client.get("/uptime", base_url="http://evil.example")
        assert "evil.example" not in poisoned.get_data(as_text=True)
        if client.get("/uptime").data == poisoned.data:
            return
    raise AssertionError("/uptime differs with another Host three times in a row")
