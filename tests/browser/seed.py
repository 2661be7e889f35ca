"""A realistic site for the browser tests: degraded components, incidents open and past, a
maintenance under way and one to come, 90 days of uptime, probe results, staff accounts, and
the providers Capgo depends on (one reporting an incident).

Built with the shared builders of tests/factories.py and tests/web/pages.py, relative to
`now`, so every page has something to show in every state it can be in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp

from probes.statuspage_summary import parse_summary
from probes.upstream import Reading, ReadOutcome
from statuspage import staff
from statuspage.config import StatusConfig
from statuspage.engine.upstreams import poll_upstream
from statuspage.notify.subscribers import identity, unsubscribe_token
from statuspage.staff import two_factor
from statuspage.staff.accounts import create_user
from statuspage.staff.tokens import create_token
from statuspage.store.db import db
from statuspage.store.models import (
    IncidentUpdate,
    ProbeResult,
    ProbeRollup,
    ProbeState,
    StatusChange,
    Subscriber,
)
from statuspage.vocabulary import Channel
from tests.factories import add_incident, component
from tests.web.pages import add_day

ADMIN = ("alice@capgo.app", "correct horse battery staple")
EDITOR = ("bob@capgo.app", "another long passphrase")
# An admin who signs in with a code from an authenticator app too.
TWO_FACTOR = ("carol@capgo.app", "a third long passphrase")
TWO_FACTOR_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# Recorded Statuspage summaries: Cloudflare while it reports an incident, Supabase quiet.
PAGES = Path(__file__).parents[1] / "probes" / "statuspage_pages"
UPSTREAM_PAGES = ("incident.json", "quiet.json")

POSTMORTEM = """\
Bundle downloads failed for 47 minutes in Europe after a storage migration.

## What happened

The new bucket's CORS rules did not allow the plugin's `Range` requests.

### Timeline

- 09:12 the migration finished;
- 09:20 the first alerts;
- 09:59 the old rules were restored.

## What we change

1. The migration checklist now tests ranged downloads.
2. Probes download a real bundle, not only `/ok`.
"""


@dataclass
class Seeded:
    """The codes of what was seeded, for the tests to visit."""

    open_incident: str = ""
    resolved_incident: str = ""
    automatic_incident: str = ""
    active_maintenance: str = ""
    upcoming_maintenance: str = ""
    completed_maintenance: str = ""
    update: str = ""
    unsubscribe: str = ""  # the token of a confirmed subscriber's unsubscribe link
    extra: list[str] = field(default_factory=list)


def _day(now: datetime, days_ago: int) -> date:
    return (now - timedelta(days=days_ago)).date()


def _at(now: datetime, days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = _day(now, days_ago)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _set_status(slug: str, status: str, at: datetime) -> None:
    target = component(slug)
    target.automatic_status = status
    target.automatic_since = at
    db.session.add(StatusChange(component=target, status=status, cause="probe", at=at))


def _uptime_days(now: datetime) -> None:
    """Give each component 90 days: mostly clean, a few bad days, a stretch without data."""
    bad = {
        "live-updates": {3: {"major_min": 47}, 21: {"partial_min": 40}, 60: {"major_min": 8}},
        "app-management": {0: {"degraded_min": 95}, 12: {"major_min": 75}},
        "analytics": {0: {"partial_min": 30}, 8: {"partial_min": 100}, 44: {"major_min": 25}},
    }
    for slug, days in bad.items():
        for days_ago in range(90):
            if slug == "analytics" and 70 <= days_ago < 80:
                add_day(slug, _day(now, days_ago), nodata_min=1440)
                continue
            total = (now - _at(now, 0, 0)).total_seconds() / 60 if days_ago == 0 else 1440
            add_day(slug, _day(now, days_ago), total=total, **days.get(days_ago, {}))


def _probes(now: datetime) -> None:
    """Give Live Updates' first probes states, a day of results and a month of rollups."""
    target = component("live-updates")
    probes = [("update-check", 420.0), ("plugin-edge", 95.0), ("bundle-downloads", 180.0)]
    for key, latency in probes:
        for location in ("eu-west", "us-east"):
            db.session.add(
                ProbeState(
                    probe_key=f"live-updates/{key}",
                    location=location,
                    component_id=target.id,
                    confirmed="up",
                    confirmed_since=now - timedelta(days=2),
                    reported_at=now - timedelta(seconds=40),
                    last_outcome="up",
                    last_latency_ms=latency * (1.4 if location == "us-east" else 1.0),
                    last_http_status=200,
                    last_reason="",
                    # One certificate within the warning days, the others far from it.
                    certificate_expires_at=now + timedelta(days=5 if key == "plugin-edge" else 80),
                )
            )
            for hour in range(24):
                db.session.add(
                    ProbeResult(
                        result_id=f"{key}-{location}-{hour}",
                        probe_key=f"live-updates/{key}",
                        component_id=target.id,
                        location=location,
                        started_at=now - timedelta(hours=hour, minutes=5),
                        latency_ms=latency + (hour % 5) * 30,
                        outcome="up",
                        http_status=200,
                    )
                )
            for days_ago in range(30):
                db.session.add(
                    ProbeRollup(
                        probe_key=f"live-updates/{key}",
                        component_id=target.id,
                        location=location,
                        day=_day(now, days_ago),
                        checks=1440,
                        down=47 if days_ago == 3 else 0,
                        degraded=0,
                        latency_p50=latency + (days_ago % 7) * 10,
                        latency_p95=latency * 2 + (days_ago % 7) * 25,
                        latency_max=latency * 4,
                    )
                )


def _upstreams(config: StatusConfig, now: datetime) -> None:
    """Store each provider's page as a read of its recorded summary would (no request made)."""
    for upstream, name in zip(config.upstreams, UPSTREAM_PAGES, strict=True):
        summary = parse_summary((PAGES / name).read_bytes(), now)

        def recorded(*_: object, summary=summary, **__: object) -> Reading:
            return Reading(ReadOutcome.READ, summary=summary)

        poll_upstream(upstream, config, now, read=recorded)


def _subscribers(now: datetime) -> None:
    """Give the Subscribers screen one of each: a confirmed address following a component,
    one waiting for its confirmation, and a failing webhook."""
    rows = [
        (Channel.EMAIL, "dana@example.com", None, now - timedelta(days=20), None),
        (Channel.EMAIL, "erin@example.com", None, None, None),
        (
            Channel.WEBHOOK,
            "ops@example.com",
            "https://hooks.example.com/statuspage",
            now - timedelta(days=5),
            "HTTP 503 from hooks.example.com",
        ),
    ]
    for kind, email, url, confirmed_at, error in rows:
        db.session.add(
            Subscriber(
                kind=kind,
                identity=identity(kind, url or email),
                email=email,
                url=url,
                created_at=now - timedelta(days=30),
                confirmed_at=confirmed_at,
                last_error=error,
                failing_since=now - timedelta(hours=2) if error else None,
                components=[component("live-updates")] if kind == Channel.EMAIL else [],
            )
        )


def subscriber_to_remove(app, now: datetime) -> str:
    """Add a confirmed subscriber of its own address; return the token of its unsubscribe link.

    Each visit of the "Unsubscribed" screen removes one, so each gets a fresh one.
    """
    with app.app_context():
        where = f"leaving-{uuid.uuid4().hex[:8]}@example.com"
        leaving = Subscriber(
            kind=Channel.EMAIL,
            identity=identity(Channel.EMAIL, where),
            email=where,
            created_at=now - timedelta(days=3),
            confirmed_at=now - timedelta(days=3),
        )
        db.session.add(leaving)
        db.session.commit()
        return unsubscribe_token(leaving.code, leaving.identity)


def seed(app, now: datetime) -> Seeded:
    """Fill the app's empty database with a realistic site as of `now`."""
    codes = Seeded()
    with app.app_context():
        config = app.config["STATUS"]
        _uptime_days(now)
        _probes(now)
        _upstreams(config, now)
        _set_status("live-updates", "operational", now - timedelta(days=3))
        _set_status("app-management", "degraded_performance", now - timedelta(minutes=50))
        _set_status("analytics", "operational", now - timedelta(days=1))

        opened = add_incident(
            "Dashboard slow to load app lists",
            started_at=now - timedelta(minutes=50),
            status="identified",
            impact="minor",
            affected=[("app-management", "degraded_performance")],
            dated=True,
            updates=[
                (
                    "investigating",
                    "We are looking into slow responses on the dashboard.",
                    now - timedelta(minutes=48),
                ),
                (
                    "identified",
                    "A **slow query** on the apps table; a fix is being deployed.",
                    now - timedelta(minutes=20),
                ),
            ],
        )
        resolved = add_incident(
            "Bundle downloads failing in Europe",
            started_at=_at(now, 3, 9, 12),
            resolved_at=_at(now, 3, 9, 59),
            impact="critical",
            affected=[("live-updates", "major_outage")],
            dated=True,
            updates=[
                ("investigating", "Downloads fail for some devices.", _at(now, 3, 9, 20)),
                ("identified", "A storage rule blocks ranged requests.", _at(now, 3, 9, 35)),
                ("monitoring", "The old rules are back; watching.", _at(now, 3, 9, 50)),
                ("resolved", "This incident has been resolved.", _at(now, 3, 9, 59)),
            ],
            postmortem=POSTMORTEM,
            status="postmortem",
        )
        resolved.postmortem_at = _at(now, 2, 14)
        automatic = add_incident(
            "Analytics ingestion partially down",
            started_at=_at(now, 8, 4, 10),
            resolved_at=_at(now, 8, 5, 50),
            impact="major",
            affected=[("analytics", "partial_outage")],
            dated=True,
        )
        for update in automatic.updates:
            update.author = None  # the system's own text
        active = add_incident(
            "Analytics database upgrade",
            kind="maintenance",
            scheduled_for=now - timedelta(minutes=30),
            scheduled_until=now + timedelta(minutes=90),
            status="in_progress",
            affected=["analytics"],
            started_at=now - timedelta(days=2),
            dated=True,
        )
        active.updates[0].author = ADMIN[0]
        active.updates[0].body = (
            "Event ingestion **pauses for up to 10 minutes**; no event is lost, the dashboards "
            "catch up afterwards."
        )
        active.updates.append(
            IncidentUpdate(
                status="in_progress",
                body="Scheduled maintenance is currently in progress.",
                author=None,
                created_at=now - timedelta(minutes=30),
                display_at=now - timedelta(minutes=30),
            )
        )
        upcoming = add_incident(
            "Live Updates edge migration",
            kind="maintenance",
            scheduled_for=now + timedelta(days=2),
            scheduled_until=now + timedelta(days=2, hours=1),
            affected=["live-updates", "app-management"],
            started_at=now - timedelta(hours=5),
            dated=True,
        )
        completed = add_incident(
            "Certificate rotation",
            kind="maintenance",
            scheduled_for=_at(now, 10, 2),
            scheduled_until=_at(now, 10, 3),
            status="completed",
            affected=["live-updates"],
            started_at=_at(now, 14, 9),
            dated=True,
        )
        completed.resolved_at = _at(now, 10, 3)
        for status, body, hour in (
            ("in_progress", "Scheduled maintenance is currently in progress.", 2),
            ("completed", "The scheduled maintenance has been completed.", 3),
        ):
            completed.updates.append(
                IncidentUpdate(
                    status=status,
                    body=body,
                    author=None,
                    created_at=_at(now, 10, hour),
                    display_at=_at(now, 10, hour),
                )
            )
        _subscribers(now)
        # Enough older events for the history to have a second page.
        for number in range(26):
            days_ago = 12 + number * 5
            codes.extra.append(
                add_incident(
                    f"Elevated error rate #{number + 1}",
                    started_at=_at(now, days_ago, 14),
                    resolved_at=_at(now, days_ago, 14, 40),
                    affected=[(("analytics", "app-management")[number % 2], "partial_outage")],
                    dated=True,
                ).code
            )
        db.session.commit()
        create_user(*ADMIN, role="admin")
        create_user(*EDITOR, role="editor")
        carol = create_user(*TWO_FACTOR, role="admin")
        # Enrolled a minute ago, so the code the browser types now is a step not yet used.
        enrolled = datetime.now(UTC) - timedelta(minutes=1)
        code = pyotp.TOTP(TWO_FACTOR_SECRET).at(enrolled)
        two_factor.enable(carol, TWO_FACTOR_SECRET, code, staff.Actor(TWO_FACTOR[0]), enrolled)
        create_token("deploy bot", "write")
        create_token("agent tokyo", "results", location="tokyo")
        # A staff write or two through the real sequence, for the audit log.
        staff.set_component_status(
            staff.Actor(ADMIN[0]), config, now - timedelta(days=1), "live-updates", None
        )
        codes.open_incident = opened.code
        codes.resolved_incident = resolved.code
        codes.automatic_incident = automatic.code
        codes.active_maintenance = active.code
        codes.upcoming_maintenance = upcoming.code
        codes.completed_maintenance = completed.code
        codes.update = opened.updates[-1].code
        dana = db.session.execute(
            db.select(Subscriber).where(Subscriber.email == "dana@example.com")
        ).scalar_one()
        codes.unsubscribe = unsubscribe_token(dana.code, dana.identity)
    return codes
