"""Heartbeats: beats received by any web process, judged into results by the probe process.

A beat is one row update (`receive_beat`), so any number of web processes can take them and
a published copy of the site needs nothing from them. The probe process judges every
heartbeat on its turn (`judge_heartbeats`, with the pure rule in rules.heartbeat) and
records the results like any probe's: the same confirmation, incidents, uptime, alerts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from probes import ProbeDefinition, Result
from probes.definitions import heartbeat_key
from statuspage.rules.heartbeat import Beats, heartbeat_verdict
from statuspage.store import limits
from statuspage.store.checks import Heartbeat
from statuspage.store.db import db


def find_heartbeat(
    presented: str, definitions: Iterable[ProbeDefinition], environ: Mapping[str, str]
) -> ProbeDefinition | None:
    """Return the heartbeat whose key was presented, comparing every key in constant time.

    Digests of equal length are compared for every configured heartbeat, without stopping at
    a match, so the time taken says nothing about any key, nor about how much of one matched.
    """
    digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
    found = None
    for definition in definitions:
        key = heartbeat_key(definition, environ)
        if key is None:
            continue  # unset or too weak: accepts nothing
        expected = hashlib.sha256(key.encode()).digest()
        if hmac.compare_digest(digest, expected) and found is None:
            found = definition
    return found


def receive_beat(probe_key: str, status: str, message: str | None, now: datetime) -> None:
    """Record a beat: the newest one wins, whichever web process takes it."""
    values = {
        "last_beat_at": now,
        "last_status": status,
        "last_message": (message or None) and message[: limits.HEARTBEAT_MESSAGE],
        "beats": Heartbeat.beats + 1,
    }
    beat = update(Heartbeat).where(Heartbeat.probe_key == probe_key).values(**values)
    if db.session.execute(beat).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(Heartbeat(probe_key=probe_key, watching_since=now, beats=0))
        except IntegrityError:
            pass  # another process added it first
        db.session.execute(beat)
    db.session.commit()


def judge_heartbeats(
    definitions: Iterable[ProbeDefinition], location: str, zone: ZoneInfo, now: datetime
) -> list[Result]:
    """Return a result per heartbeat that is due a verdict now (none before its first deadline)."""
    definitions = list(definitions)
    keys = [definition.key for definition in definitions]
    rows = {
        row.probe_key: row
        for row in db.session.execute(
            db.select(Heartbeat).where(Heartbeat.probe_key.in_(keys))
        ).scalars()
    }
    results = []
    for definition in definitions:
        row = rows.get(definition.key) or _start_watching(definition.key, now)
        beats = Beats(row.watching_since, row.last_beat_at, row.last_status, row.last_message)
        verdict = heartbeat_verdict(definition.expect_every_s, definition.grace_s, beats, now, zone)
        if verdict is None:
            continue
        outcome, reason = verdict
        results.append(
            Result.for_probe(
                definition, location=location, started_at=now, outcome=outcome, reason=reason
            )
        )
    db.session.commit()
    return results


def _start_watching(probe_key: str, now: datetime) -> Heartbeat:
    """Add a heartbeat's row the first time it is judged: its first deadline counts from now."""
    try:
        with db.session.begin_nested():
            row = Heartbeat(probe_key=probe_key, watching_since=now, beats=0)
            db.session.add(row)
        return row
    except IntegrityError:  # a web process took its first beat at this very moment
        found = db.session.get(Heartbeat, probe_key)
        assert found is not None
        return found
