"""Every public page, feed and step of the subscribe flow, in every language, on a realistic
site: no text of the interface is left in English. A text counts as left when it matches an
English message of the catalog (its placeholders standing for anything) that the language's
translation does not repeat; what staff and probes wrote is content, shown as written."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from statuspage.notify.subscribers import confirm_token, identity, unsubscribe_token
from statuspage.store.db import db
from statuspage.store.models import Component, Incident, IncidentUpdate, Subscriber
from statuspage.vocabulary import LANGUAGES, Channel
from tests.browser.seed import Seeded, seed
from tests.test_translations import catalog_path

pytestmark = pytest.mark.slow  # seeds 90 days of a site, then reads ~30 pages in 6 languages

PLACEHOLDER = re.compile(r"(%\(\w+\)[sd])")
# Attributes whose text a person reads or hears.
READ_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder", "content"}


class _Texts(HTMLParser):
    """Collect the text nodes and read attributes of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "svg"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "svg"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.texts.append(data)


def _normal(text: str) -> str:
    return " ".join(text.split())


def texts_of(markup: str) -> list[str]:
    """Return every read text of an HTML page (or fragment), whitespace collapsed."""
    parser = _Texts()
    parser.feed(markup)
    return [text for text in map(_normal, parser.texts) if text]


def _pattern(text: str) -> re.Pattern[str]:
    """Return a text with its placeholders standing for anything, as a full-match pattern."""
    parts = PLACEHOLDER.split(text)
    return re.compile("".join(".+?" if PLACEHOLDER.fullmatch(p) else re.escape(p) for p in parts))


def _fragments(text: str) -> list[str]:
    return [_normal(part) for part in re.split(r"<[^>]+>", text.replace("%%", "%"))]


@dataclass(frozen=True)
class Left:
    """An English fragment of a message, and the fragments of its translation."""

    fragment: str
    english: re.Pattern[str]
    translated: tuple[re.Pattern[str], ...]

    def left_in(self, text: str) -> bool:
        """Tell whether a text is this English, not (also) its translation."""
        if not self.english.fullmatch(text):
            return False
        return not any(pattern.fullmatch(text) for pattern in self.translated)


def english_left(code: str) -> list[Left]:
    """Return each English fragment of the catalog that the translation into `code` rewords."""
    with catalog_path(code).open("rb") as file:
        catalog = read_po(file)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated = tuple(_pattern(f) for string in strings for f in _fragments(string) if f)
        for msgid in ids:
            for fragment in _fragments(msgid):
                words = PLACEHOLDER.sub("", fragment)
                if len(re.sub(r"[^A-Za-z]", "", words)) < 3 or any(fragment in s for s in strings):
                    continue
                found.append(Left(fragment, _pattern(fragment), translated))
    return found


def _content(app) -> set[str]:
    """Return what staff and probes wrote (names, descriptions, staff updates), as read."""
    with app.app_context():
        written: set[str] = set()
        for incident in db.session.execute(db.select(Incident)).scalars():
            if incident.name_message is None:
                written.add(_normal(incident.name))
            written.update(texts_of(incident.postmortem or ""))
        for update in db.session.execute(db.select(IncidentUpdate)).scalars():
            if update.message is None:
                written.update(texts_of(f"<p>{html.escape(update.body)}</p>"))
                written.update(_normal(line) for line in update.body.split("\n\n"))
        for component in db.session.execute(db.select(Component)).scalars():
            written.update({component.name, _normal(component.description or "")})
    return written


def _subscriber(now: datetime, number: int) -> Subscriber:
    address = f"reader{number}@example.com"
    row = Subscriber(
        kind=Channel.EMAIL,
        identity=identity(Channel.EMAIL, address),
        email=address,
        created_at=now,
        confirmed_at=now if number % 2 else None,
    )
    db.session.add(row)
    return row


def pages(app, client, seeded: Seeded, prefix: str, now: datetime) -> Iterator[tuple[str, str]]:
    """Yield (address, text) of every public page, feed and subscribe step in one language."""
    codes = [
        seeded.open_incident,
        seeded.resolved_incident,
        seeded.automatic_incident,
        seeded.active_maintenance,
        seeded.upcoming_maintenance,
        seeded.completed_maintenance,
    ]
    paths = ["/", "/no-refresh", "/history", "/history/2", "/uptime", "/history/999"]
    paths += [f"/incidents/{code}" for code in codes]
    paths += [f"/incidents/{seeded.open_incident}/no-refresh", "/incidents/nope"]
    for slug in ("live-updates", "analytics"):
        paths += [f"/components/{slug}", f"/components/{slug}/days", f"/components/{slug}/history"]
    paths += ["/subscribe", f"/subscribe?incident={seeded.open_incident}"]
    paths += ["/subscribe/confirm/not-a-token", "/unsubscribe/not-a-token"]
    for path in paths:
        yield path, client.get(prefix + path).get_data(as_text=True)
    for fmt in ("atom", "rss", "json"):
        body = client.get(f"{prefix}/history.{fmt}").get_data(as_text=True)
        if fmt == "json":
            document = json.loads(body)
            strings = [document["title"], document["description"]]
            strings += [
                item[key] for item in document["items"] for key in ("title", "content_html")
            ]
            body = "\n".join(f"<p>{text}</p>" for text in strings)
        yield f"/history.{fmt}", html.unescape(body)
    # The sign-up steps: a field error, the mail on its way, a hook's form error.
    yield (
        "POST /subscribe",
        client.post(f"{prefix}/subscribe", data={"email": "not an address"}).get_data(as_text=True),
    )
    yield (
        "POST /subscribe ok",
        client.post(f"{prefix}/subscribe", data={"email": "new@example.com"}).get_data(
            as_text=True
        ),
    )
    yield (
        "POST /subscribe/hook",
        client.post(
            f"{prefix}/subscribe/hook", data={"kind": "slack", "url": "", "email": ""}
        ).get_data(as_text=True),
    )
    # Confirming and unsubscribing, each with a subscriber of its own.
    with app.app_context():
        number = list(LANGUAGES).index(prefix.strip("/"))
        waiting, confirmed = _subscriber(now, 2 * number), _subscriber(now, 2 * number + 1)
        db.session.commit()
        confirm = confirm_token(waiting.code, waiting.identity)
        leave = unsubscribe_token(confirmed.code, confirmed.identity)
    yield "confirm", client.get(f"{prefix}/subscribe/confirm/{confirm}").get_data(as_text=True)
    yield "confirmed", client.post(f"{prefix}/subscribe/confirm/{confirm}").get_data(as_text=True)
    yield "already", client.post(f"{prefix}/subscribe/confirm/{confirm}").get_data(as_text=True)
    yield "unsubscribe", client.get(f"{prefix}/unsubscribe/{leave}").get_data(as_text=True)
    yield "unsubscribed", client.post(f"{prefix}/unsubscribe/{leave}").get_data(as_text=True)
    yield "gone", client.post(f"{prefix}/unsubscribe/{leave}").get_data(as_text=True)


@pytest.fixture
def settings() -> dict[str, object]:
    # Mail "configured", so the forms show; the web process sends nothing.
    return {"SMTP_URL": "smtp://127.0.0.1:9", "WTF_CSRF_ENABLED": False}


def test_no_interface_text_is_left_in_english(app, client) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    seeded = seed(app, now)
    content = _content(app)
    left: dict[str, set[tuple[str, str]]] = {}
    seen = set()
    for code in (code for code in LANGUAGES if code != "en"):
        patterns = english_left(code)
        tag = "zh-Hans" if code == "zh" else code
        for address, page in pages(app, client, seeded, f"/{code}", now):
            seen.add(address)
            assert "<html" not in page or f'<html lang="{tag}">' in page, (code, address)
            for text in texts_of(page):
                if text in content:
                    continue
                for message in patterns:
                    if message.left_in(text):
                        left.setdefault(code, set()).add((address, message.fragment))
    assert len(seen) > 35
    assert left == {}


def test_the_check_finds_english_where_it_is_left(client) -> None:
    """The same check on the English page finds the words it would miss in Spanish."""
    found = {
        message.fragment
        for text in texts_of(client.get("/").get_data(as_text=True))
        for message in english_left("es")
        if message.left_in(text)
    }
    assert {"All Systems Operational", "Skip to main content", "Past Incidents"} <= found
