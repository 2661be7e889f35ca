"""The system's own text in the reader's language: its stored message parts, worded again.

The engine writes each automatic title and update in English (`name`, `body`) and keeps its
message parts beside it (`name_message`, `message`). A reader of English gets the text exactly
as it was written; any other reader gets the same parts worded by their language's catalog,
with their locale's times and lists. Text staff wrote has no parts: it is shown as written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from babel.lists import format_list
from flask import current_app
from flask_babel import get_translations, gettext

from statuspage.reads.formatting import (
    LONG_TIME,
    SHORT_TIME,
    format_duration,
    local_clock,
    local_moment,
    reader_locale,
)
from statuspage.rules import ENGLISH, Words, silent_part, word
from statuspage.rules.heartbeat import every
from statuspage.vocabulary import N_

# The language the stored English (`name`, `body`) is written in.
WRITTEN_IN = "en"
# What a heartbeat's check says in place of a URL: "expected every 5 min".
EXPECTED_EVERY = N_("expected every %(interval)s")


class Named(Protocol):
    """An incident: its title as written, and as the system's message when it wrote it."""

    name: str
    name_message: str | None


class Written(Protocol):
    """An update: its text, its author (None: the system), its message parts, when written."""

    body: str
    author: str | None
    message: str | None
    created_at: datetime


class Intermittent(Protocol):
    """A probe's state: the intermittent rule's reason as written, and as its message parts."""

    intermittent_reason: str | None
    intermittent_message: str | None


def _moment(moment: datetime, zone: ZoneInfo, now: datetime | None) -> str:
    """Return a time as the system words it, in the reader's locale: no date on `now`'s day."""
    local, local_now = moment.astimezone(zone), now.astimezone(zone) if now else None
    if local_now is not None and local_now.date() == local.date():
        return local_clock(moment, zone)
    same_year = local_now is not None and local_now.year == local.year
    return local_moment(moment, zone, SHORT_TIME if same_year else LONG_TIME)


def _names(names: Sequence[str]) -> str:
    return format_list(list(names), locale=reader_locale())


def reader_words() -> Words:
    """Return the words of the request's language: its catalog, times and lists."""
    translations = get_translations()
    return Words(
        gettext=translations.ugettext,
        ngettext=translations.ungettext,
        moment=_moment,
        names=_names,
    )


def _reworded(written: str, message: str | None, now: datetime | None) -> str:
    if message is None or reader_locale().language == WRITTEN_IN:
        return written
    zone = current_app.config["STATUS"].site.zone
    return word(json.loads(message), zone, now, reader_words())


def intermittent_text(state: Intermittent) -> str:
    """Return why the intermittent rule holds a probe degraded, in the reader's language."""
    return _reworded(state.intermittent_reason or "", state.intermittent_message, None)


def system_words() -> Words:
    """Return the words the system writes in for this reader: English as written, or theirs."""
    return ENGLISH if reader_locale().language == WRITTEN_IN else reader_words()


def silent_text(location: str, since: datetime, zone: ZoneInfo, now: datetime) -> str:
    """Return "no results from eu-west since 10:42 UTC" in the reader's language."""
    return word([silent_part(location, since)], zone, now, system_words())


def event_name(incident: Named) -> str:
    """Return an incident's title for this reader: an automatic one in their language."""
    return _reworded(incident.name, incident.name_message, None)


def update_text(update: Written) -> str:
    """Return the text of one of the system's updates for this reader, in their language."""
    return _reworded(update.body, update.message, update.created_at)


def expected_every(seconds: float) -> str:
    """Return how often a heartbeat is expected, in the reader's language."""
    if reader_locale().language == WRITTEN_IN:
        return EXPECTED_EVERY % {"interval": every(seconds)}
    # Seconds are written the same in every language; longer periods in the reader's words.
    interval = every(seconds) if seconds < 60 else format_duration(timedelta(seconds=seconds))
    return gettext(EXPECTED_EVERY, interval=interval)
