"""The stored state: components, status history, incidents, updates and probe results."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.store import limits
from statuspage.store.db import UTCDateTime, db, new_code, utcnow
from statuspage.vocabulary import Channel, ComponentStatus, DeliveryState, EventKind, Outcome, Role

# An incident created this long after its start was entered afterwards (not as it happened).
ENTERED_AFTERWARDS_AFTER = timedelta(minutes=1)


class Component(db.Model):
    """Something customers care about, or a group of such things (one level deep)."""

    __tablename__ = "component"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, default=new_code)
    slug: Mapped[str] = mapped_column(String(limits.SLUG), unique=True)
    name: Mapped[str] = mapped_column(String(limits.COMPONENT_NAME))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("component.id"))
    # Components removed from the config are hidden, never deleted, so history survives.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the probes say (None until they have said anything), and what staff set by hand.
    automatic_status: Mapped[str | None] = mapped_column(String(32))
    automatic_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manual_status: Mapped[str | None] = mapped_column(String(32))
    manual_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manual_set_by: Mapped[str | None] = mapped_column(String(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[Component | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Component]] = relationship(back_populates="group")


class StatusChange(db.Model):
    """One entry of a component's append-only status history."""

    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_component_at", "component_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cause: Mapped[str] = mapped_column(String(16))
    # The incident or maintenance behind the change, when there is one.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # An automatic change recorded while a manual status held: kept, but not what was shown.
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)

    component: Mapped[Component] = relationship()


class Incident(db.Model):
    """A public event with a timeline of updates: an incident or a scheduled maintenance."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, default=new_code)
    kind: Mapped[str] = mapped_column(String(16), default=EventKind.INCIDENT)
    name: Mapped[str] = mapped_column(String(limits.EVENT_NAME))
    # An automatic incident's title as the system's message (JSON, rules/wording.py), so
    # each reader's language words it; `name` keeps the English it was written in.
    name_message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    impact: Mapped[str] = mapped_column(String(16), default="none")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    postmortem: Mapped[str | None] = mapped_column(Text)
    postmortem_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The content/incidents/*.md file this incident is imported from, if any.
    source: Mapped[str | None] = mapped_column(String(limits.SOURCE), unique=True)
    source_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident", order_by="IncidentUpdate.created_at.desc()"
    )
    affected: Mapped[list[AffectedComponent]] = relationship(back_populates="incident")

    @property
    def is_maintenance(self) -> bool:
        """Tell whether this event is a scheduled maintenance rather than an incident."""
        return self.kind == EventKind.MAINTENANCE

    @property
    def entered_afterwards(self) -> bool:
        """Tell whether staff entered this incident after it had begun, so its start was laid
        into the status history afterwards rather than shown at the time."""
        return (
            self.kind == EventKind.INCIDENT
            and not self.automatic
            and self.created_at is not None
            and self.started_at is not None
            and self.started_at < self.created_at - ENTERED_AFTERWARDS_AFTER
        )


# When an event "happened" (a maintenance by its window): the feed, history and uptime bars
# read incidents newest first by this and stop after a page, so no sort of the whole table.
Index(
    "ix_incident_starts_at",
    func.coalesce(Incident.scheduled_for, Incident.started_at),
    Incident.id,
)


class AffectedComponent(db.Model):
    """A component an incident affects, and the status the incident gives it."""

    __tablename__ = "affected_component"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))

    incident: Mapped[Incident] = relationship(back_populates="affected")
    component: Mapped[Component] = relationship()


class IncidentUpdate(db.Model):
    """One entry of an incident's timeline; never overwritten."""

    __tablename__ = "incident_update"
    __table_args__ = (Index("ix_incident_update_incident_created", "incident_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, default=new_code)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    # The system's own text as message parts (JSON, rules/wording.py), worded in each
    # reader's language; `body` keeps the English it was written in. None for staff text.
    message: Mapped[str | None] = mapped_column(Text)
    # None for the system's own updates.
    author: Mapped[str | None] = mapped_column(String(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    display_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept for the notifications feature; stored and returned as the API's field.
    deliver_notifications: Mapped[bool] = mapped_column(Boolean, default=False)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="updates")
    changes: Mapped[list[UpdateComponentChange]] = relationship(back_populates="update")
    revisions: Mapped[list[UpdateRevision]] = relationship(
        back_populates="update", order_by="UpdateRevision.id"
    )


class UpdateRevision(db.Model):
    """The text an update had before an edit: edits never lose what was published."""

    __tablename__ = "update_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("incident_update.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaced_by: Mapped[str | None] = mapped_column(String(limits.ACTOR))

    update: Mapped[IncidentUpdate] = relationship(back_populates="revisions")


class UpdateComponentChange(db.Model):
    """A component status change that an incident update made."""

    __tablename__ = "update_component_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("incident_update.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    old_status: Mapped[str] = mapped_column(String(32))
    new_status: Mapped[str] = mapped_column(String(32))

    update: Mapped[IncidentUpdate] = relationship(back_populates="changes")
    component: Mapped[Component] = relationship()


class ProbeResult(db.Model):
    """One run of one probe from one location, kept for `[retention] raw_days`."""

    __tablename__ = "probe_result"
    __table_args__ = (
        Index("ix_probe_result_probe_location_started", "probe_key", "location", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The id the probe gave the result, so a result delivered twice is stored once.
    result_id: Mapped[str] = mapped_column(String(limits.RESULT_ID), unique=True)
    probe_key: Mapped[str] = mapped_column(String(limits.PROBE_KEY))
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    location: Mapped[str] = mapped_column(String(limits.LOCATION))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(limits.REASON), default="")


class ProbeRollup(db.Model):
    """One probe's results from one location over one UTC day, kept forever."""

    __tablename__ = "probe_rollup"
    __table_args__ = (UniqueConstraint("probe_key", "location", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    probe_key: Mapped[str] = mapped_column(String(limits.PROBE_KEY))
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    location: Mapped[str] = mapped_column(String(limits.LOCATION))
    day: Mapped[date] = mapped_column(Date, index=True)
    checks: Mapped[int] = mapped_column(Integer)
    down: Mapped[int] = mapped_column(Integer)
    degraded: Mapped[int] = mapped_column(Integer)
    latency_p50: Mapped[float | None] = mapped_column(Float)
    latency_p95: Mapped[float | None] = mapped_column(Float)
    latency_max: Mapped[float | None] = mapped_column(Float)


class ProbeHour(db.Model):
    """One probe's results from one location over one UTC hour: the component page's last 24
    hours, read without the raw results. Kept as long as the raw results are."""

    __tablename__ = "probe_hour"
    __table_args__ = (UniqueConstraint("probe_key", "location", "hour"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    probe_key: Mapped[str] = mapped_column(String(limits.PROBE_KEY))
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), index=True)
    location: Mapped[str] = mapped_column(String(limits.LOCATION))
    hour: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    checks: Mapped[int] = mapped_column(Integer)
    down: Mapped[int] = mapped_column(Integer)
    degraded: Mapped[int] = mapped_column(Integer)
    latency_p50: Mapped[float | None] = mapped_column(Float)
    latency_p95: Mapped[float | None] = mapped_column(Float)
    latency_max: Mapped[float | None] = mapped_column(Float)


class ProbeState(db.Model):
    """A probe's confirmed state at one location, and what its latest result said."""

    __tablename__ = "probe_state"

    probe_key: Mapped[str] = mapped_column(String(limits.PROBE_KEY), primary_key=True)
    location: Mapped[str] = mapped_column(String(limits.LOCATION), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), index=True)
    confirmed: Mapped[str] = mapped_column(String(16), default=Outcome.UP)
    confirmed_since: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str] = mapped_column(String(16))
    last_latency_ms: Mapped[float | None] = mapped_column(Float)
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    last_reason: Mapped[str] = mapped_column(String(limits.REASON), default="")
    # The newest reason it failed with, kept while later results pass, for the incident text.
    last_failure_reason: Mapped[str | None] = mapped_column(String(limits.REASON))
    # When the TLS certificate it last saw expires (https probes whose certificate verified).
    certificate_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the intermittent rule (k of the last n checks failed) holds it degraded:
    # "intermittent: 3 of the last 10 checks failed (HTTP 503)".
    intermittent_reason: Mapped[str | None] = mapped_column(String(limits.REASON))
    # The same reason as message parts (JSON, rules/wording.py), worded in each reader's language.
    intermittent_message: Mapped[str | None] = mapped_column(Text)
    # Results before this belong to a confirmed outage that is over: the intermittent rule
    # does not count them (None: it counts every result).
    counted_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OpenAutomaticIncident(db.Model):
    """The unresolved automatic incident: one at most, site-wide, held by one row.

    An outage is one incident however many components it takes down, so there is one slot.
    Two probe processes opening at the same moment both try to insert the row of slot 1;
    the primary key lets one win, and the other joins the incident the winner opened.
    """

    __tablename__ = "open_automatic_incident"
    __table_args__ = (CheckConstraint("slot = 1", name="one_slot"),)

    slot: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), unique=True)


class SiteState(db.Model):
    """A single row: a version every change bumps, and the lock writers take in turn."""

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComponentDay(db.Model):
    """Minutes a component spent in each status over one day in the site's time zone."""

    __tablename__ = "component_day"
    __table_args__ = (UniqueConstraint("component_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    operational_min: Mapped[float] = mapped_column(Float, default=0)
    degraded_min: Mapped[float] = mapped_column(Float, default=0)
    partial_min: Mapped[float] = mapped_column(Float, default=0)
    major_min: Mapped[float] = mapped_column(Float, default=0)
    maintenance_min: Mapped[float] = mapped_column(Float, default=0)
    # Before the first result, or while probing was stalled: excluded from uptime.
    nodata_min: Mapped[float] = mapped_column(Float, default=0)


# The column of ComponentDay that holds each status's minutes (None: minutes with no data).
COMPONENT_DAY_COLUMNS = {
    ComponentStatus.OPERATIONAL: "operational_min",
    ComponentStatus.DEGRADED_PERFORMANCE: "degraded_min",
    ComponentStatus.PARTIAL_OUTAGE: "partial_min",
    ComponentStatus.MAJOR_OUTAGE: "major_min",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance_min",
    None: "nodata_min",
}


class User(UserMixin, db.Model):
    """A staff member who signs in to the admin screens."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(limits.EMAIL), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An editor writes incidents, maintenance and notes; an admin also manages the site.
    role: Mapped[str] = mapped_column(String(16), default=Role.EDITOR)
    # Kept in every session cookie: bumping it (sign-out, new password, disable) ends them all.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # Two-factor sign-in: the TOTP secret once enrolment is confirmed, and the last time step
    # a code was accepted for (a code is good once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Let Flask-Login refuse disabled accounts, even with a live session."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """Tell whether this account may manage users, tokens and components."""
        return self.role == Role.ADMIN

    @property
    def has_two_factor(self) -> bool:
        """Tell whether signing in also asks for a code from an authenticator."""
        return self.totp_enabled_at is not None


class RecoveryCode(db.Model):
    """A one-time code that signs in without the authenticator; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class SignInFailure(db.Model):
    """A failed sign-in, kept briefly to throttle guessing per account and per address."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(limits.EMAIL), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class ApiToken(db.Model):
    """A bearer token for the write API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(limits.TOKEN_NAME), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "write": incidents, maintenance, component status; "results": probe agents only.
    scope: Mapped[str] = mapped_column(String(16), default="write")
    # A results token speaks for one location: results naming any other are refused.
    location: Mapped[str | None] = mapped_column(String(limits.LOCATION))
    # The results it may still send now (a token bucket), as of allowance_at.
    allowance: Mapped[float | None] = mapped_column(Float)
    allowance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """Who changed what, when, with the state before and after (JSON)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------------------------------
# Notifications: subscribers, and the outbox of what they are to be told.


class Subscriber(db.Model):
    """Someone who asked to be told: an address, a webhook or a chat channel.

    `identity` is a hash of the kind, the address or URL and the followed incident, unique,
    so one thing subscribes once; tokens in links are bound to it (see notify.subscribers).
    """

    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, default=new_code)
    kind: Mapped[str] = mapped_column(String(16), default=Channel.EMAIL)
    identity: Mapped[str] = mapped_column(String(64), unique=True)
    # The address mail goes to: the subscriber's own, or a webhook's owner (failure notices).
    email: Mapped[str | None] = mapped_column(String(limits.EMAIL), index=True)
    url: Mapped[str | None] = mapped_column(String(limits.URL))
    # A webhook's signing secret (whsec_...): stored to sign with, shown once, never exported.
    secret: Mapped[str | None] = mapped_column(String(100))
    # Set when the subscriber follows one incident only.
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A webhook that failed for a day is disabled, and its owner told.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(limits.DELIVERY_ERROR))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(limits.DELIVERY_ERROR))

    components: Mapped[list[Component]] = relationship(secondary="subscriber_component")
    incident: Mapped[Incident | None] = relationship()


class SubscriberComponent(db.Model):
    """A component a subscriber follows; a subscriber with none follows everything."""

    __tablename__ = "subscriber_component"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("component.id", ondelete="CASCADE"), primary_key=True
    )


class NotificationEvent(db.Model):
    """One outbox entry: something to tell, written in the transaction of the change itself.

    `payload` is frozen JSON of what was true then (the incident as the API showed it), so a
    message sent later still says what happened at the time. `key` makes recording idempotent.
    """

    __tablename__ = "notification_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(limits.EVENT_KEY), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident.id", ondelete="SET NULL"), index=True
    )
    # JSON list of the ids of the components the event concerns (none: everyone).
    component_ids: Mapped[str] = mapped_column(Text, default="[]")
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once a notification row exists for every recipient.
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Notification(db.Model):
    """One message to one recipient about one event: claimed, sent once, or retried."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient"),
        Index("ix_notification_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_event.id", ondelete="CASCADE"))
    # "s<id>" for a subscriber, "a<hash>" for an [alerts] target: unique with the event.
    recipient: Mapped[str] = mapped_column(String(80))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    # Staff alerts go first (0), so on-call learns before customers do.
    priority: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A claim: the worker's token and until when it holds (a crashed worker's claim lapses).
    claim: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(limits.DELIVERY_ERROR))

    event: Mapped[NotificationEvent] = relationship()
    subscriber: Mapped[Subscriber | None] = relationship()


class SignUpAttempt(db.Model):
    """A sign-up, kept an hour to rate-limit per client address and per subscriber address.

    The subscriber address is kept only as a keyed hash: an attempt is not a subscription.
    """

    __tablename__ = "sign_up_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    target_hash: Mapped[str] = mapped_column(String(64), index=True)
