"""Incident files into the database: `statuspage content sync`, one more front door of staff.

Syncing checks every parsed Document against the database and the other files before writing
anything, then writes each file in its own transaction through the staff write sequence
(statuspage.staff.writes), with the same audit, revisions and status re-evaluation as the
admin screens and the write API.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from statuspage.config import StatusConfig
from statuspage.reads.incidents import get_incident
from statuspage.rules import maintenance_status
from statuspage.staff.content_files import (
    SOURCE_FOLDER,
    ContentError,
    Document,
    UpdateSection,
    decode,
    incident_files,
    parse_document,
    source_name,
)
from statuspage.staff.writes import Actor, affect_only, audit, revise, snapshot, writing
from statuspage.store.db import db, new_code
from statuspage.store.models import (
    Component,
    Incident,
    IncidentUpdate,
    UpdateComponentChange,
)
from statuspage.vocabulary import ComponentStatus, EventKind, MaintenanceStatus


@dataclass
class FileReport:
    """What a sync did with one file, printed as one line."""

    path: Path
    outcome: str = "error"  # imported, updated, unchanged, missing or error
    code: str | None = None
    field: str | None = None
    message: str | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)

    def fail(self, error: ContentError) -> None:
        """Record why nothing from this file was imported."""
        self.outcome, self.field, self.message = "error", error.field, error.message

    def line(self) -> str:
        """Return the report line: `<outcome>: <file> ...` or `error: <file>: <field>: ...`."""
        if self.outcome == "error":
            return f"error: {self.path}: {self.field}: {self.message}"
        text = f"{self.outcome}: {self.path}"
        if self.code:
            text += f" (incident {self.code})"
        return text + "".join(f"; warning: {warning}" for warning in self.warnings)


@dataclass
class _Plan:
    """A document checked against the database, ready to write."""

    document: Document
    incident: Incident | None
    components: dict[Component, str]
    warnings: list[str]


def sync_directory(directory: Path, config: StatusConfig, now: datetime) -> list[FileReport]:
    """Import every incident file of a folder; return one report per file, in name order.

    A file whose digest matches the one stored is skipped. An invalid file imports nothing;
    the others still import, each in its own transaction.
    """
    reports: dict[str, FileReport] = {}
    documents: list[Document] = []
    claims: dict[str, list[str]] = defaultdict(list)  # code -> sources using it
    for path in incident_files(directory):
        source = source_name(path)
        report = reports[source] = FileReport(path)
        try:
            raw = path.read_bytes()
            digest = hashlib.sha256(raw).hexdigest()
            stored = _imported_from(source)
            if stored is not None and stored.source_digest == digest:
                report.outcome, report.code = "unchanged", stored.code
                claims[stored.code].append(source)
                continue
            document = parse_document(decode(raw), source, now, digest)
        except ContentError as error:
            report.fail(error)
            continue
        documents.append(document)
        claims[document.code].append(source)

    for document in documents:
        report = reports[document.source]
        try:
            plan = _check(document, claims, set(reports))
        except ContentError as error:
            report.fail(error)
            continue
        try:
            report.outcome = _write(plan, config, now)
        except SQLAlchemyError as error:
            # Only a race with another writer gets here; the file will import next time.
            db.session.rollback()
            report.fail(ContentError("database", f"not imported ({error.__class__.__name__})"))
            continue
        report.code, report.warnings = plan.document.code, plan.warnings

    gone = db.session.execute(
        db.select(Incident)
        .where(Incident.source.like(f"{SOURCE_FOLDER}/%"), Incident.source.not_in(list(reports)))
        .order_by(Incident.source)
    ).scalars()
    missing = [
        FileReport(
            directory / Path(incident.source).name,
            "missing",
            incident.code,
            warnings=["the file is gone; the incident was kept"],
        )
        for incident in gone
    ]
    return [reports[name] for name in sorted(reports)] + missing


def _imported_from(source: str) -> Incident | None:
    """Return the incident imported from the file of this name, if any."""
    return db.session.execute(db.select(Incident).where(Incident.source == source)).scalar()


def _check(document: Document, claims: dict[str, list[str]], present: set[str]) -> _Plan:
    """Check a document against the database and the other files; nothing is written."""
    warnings: list[str] = []
    by_source = _imported_from(document.source)
    by_code = get_incident(document.code)
    others = [source for source in claims[document.code] if source != document.source]
    if others and not (by_code is not None and by_code.source == document.source):
        raise ContentError("code", f"{document.code!r} is also the code of {others[0]}")
    if by_source is not None and by_source.code != document.code:
        raise ContentError(
            "code",
            f"this file was imported as incident {by_source.code!r}, and a code never changes "
            f"(write code = {by_source.code!r})",
        )
    incident = by_code
    if incident is not None and incident.source != document.source:
        if incident.source is None:
            raise ContentError(
                "code", f"{document.code!r} is the code of an incident not imported from a file"
            )
        if incident.source in present:
            raise ContentError("code", f"{document.code!r} is the code of {incident.source}")
        # Its file is gone and this one carries its code: the file was renamed.
        warnings.append(f"renamed from {incident.source}")
    if incident is not None and incident.kind != document.kind:
        raise ContentError(
            "kind", f"incident {incident.code} is a {incident.kind}; that never changes"
        )

    known = {
        component.slug: component
        for component in db.session.execute(
            db.select(Component).where(Component.is_group.is_(False), Component.hidden.is_(False))
        ).scalars()
    }
    components: dict[Component, str] = {}
    for slug, status in document.components.items():
        if slug not in known:
            names = ", ".join(sorted(known))
            raise ContentError("components", f"unknown component {slug!r} (known: {names})")
        components[known[slug]] = status
    return _Plan(document, incident, components, warnings)


def _write(plan: _Plan, config: StatusConfig, now: datetime) -> str:
    """Create or update the incident of one file in one transaction; return the outcome."""
    document = plan.document
    actor = Actor(f"content:{document.source}")
    new = plan.incident is None
    with writing(actor, "content.import" if new else "content.update", config, now) as write:
        incident = plan.incident
        before = None if incident is None else snapshot(incident)
        previous = [] if incident is None else [a.component for a in incident.affected]
        if incident is None:
            incident = Incident(
                code=document.code, kind=document.kind, automatic=False, created_at=now
            )
            db.session.add(incident)
        _apply_fields(incident, document, now)
        affect_only(incident, plan.components)
        plan.warnings.extend(_apply_updates(incident, document, plan.components, actor, now))
        write.audit_incident(incident, before)
        write.touch(sorted([*previous, *plan.components], key=lambda component: component.id))
    return "imported" if new else "updated"


def _apply_fields(incident: Incident, document: Document, now: datetime) -> None:
    """Copy the file's name, impact, times, status and postmortem onto the incident."""
    incident.name = document.title
    incident.impact = document.impact
    incident.started_at = document.started_at
    incident.scheduled_for = document.scheduled_for
    incident.scheduled_until = document.scheduled_until
    incident.monitoring_at = document.monitoring_at
    incident.resolved_at = document.resolved_at
    incident.status = document.status
    if document.scheduled_for and document.scheduled_until:
        # The window moves a maintenance on as it does any other (and as reads show it).
        incident.status = maintenance_status(
            document.scheduled_for, document.scheduled_until, now, document.status
        ).value
        if incident.status == MaintenanceStatus.COMPLETED and incident.resolved_at is None:
            incident.resolved_at = document.scheduled_until
    if incident.postmortem != document.postmortem:
        # The earlier text stays in the audit entry's `before`.
        incident.postmortem = document.postmortem
        incident.postmortem_at = now if document.postmortem else None
    incident.source = document.source
    incident.source_digest = document.digest
    incident.updated_at = now


def _apply_updates(
    incident: Incident,
    document: Document,
    components: dict[Component, str],
    actor: Actor,
    now: datetime,
) -> list[str]:
    """Bring the incident's file updates in line with the file; return warnings.

    A section is matched to a stored update with its time and status, then the rest in order.
    A changed text keeps the earlier one as a revision; a stored update with no section left
    is kept (published history is never deleted) and reported.
    """
    rows = sorted(
        (u for u in incident.updates if (u.author or "").startswith("content:")),
        key=lambda u: (u.created_at, u.id or 0),
    )
    matched: dict[int, IncidentUpdate] = {}
    by_key: dict[tuple[datetime, str], list[IncidentUpdate]] = defaultdict(list)
    for row in rows:
        by_key[row.created_at, row.status].append(row)
    for index, section in enumerate(document.updates):
        candidates = by_key.get((section.at, section.status))
        if candidates:
            matched[index] = candidates.pop(0)
    used = {id(row) for row in matched.values()}
    spare = [row for row in rows if id(row) not in used]
    unmatched = [i for i in range(len(document.updates)) if i not in matched]
    for index, row in zip(unmatched, spare, strict=False):
        matched[index] = row
    kept = spare[len(unmatched) :]

    new_updates: list[IncidentUpdate] = []
    for index, section in enumerate(document.updates):
        row = matched.get(index)
        if row is None:
            row = IncidentUpdate(
                code=new_code(),
                incident=incident,
                status=section.status,
                body=section.body,
                author=actor.name,
                created_at=section.at,
                display_at=section.at,
            )
            db.session.add(row)
            matched[index] = row
            new_updates.append(row)
        else:
            _revise(row, section, actor, now)
    if incident.kind == EventKind.INCIDENT:
        _apply_changes(document, [matched[i] for i in range(len(document.updates))], components)
    if incident.id is not None:  # a new incident's whole timeline is in its import entry
        for row in new_updates:
            audit(actor, "update.create", f"update:{row.code}", None, _update_state(row), now)
    return [
        f"kept the update of {row.display_at:%Y-%m-%d %H:%M} UTC ({row.status}) "
        "that is no longer in the file"
        for row in kept
    ]


def _update_state(update: IncidentUpdate) -> dict[str, Any]:
    return {
        "code": update.code,
        "status": update.status,
        "body": update.body,
        "display_at": update.display_at.isoformat(),
    }


def _revise(row: IncidentUpdate, section: UpdateSection, actor: Actor, now: datetime) -> None:
    """Give a stored update its section's text, status and time, keeping the earlier text."""
    if (row.status, row.body, row.display_at) == (section.status, section.body, section.at):
        return
    before = _update_state(row)
    if (row.status, row.body) != (section.status, section.body):
        revise(row, actor, now, status=section.status, body=section.body)
    row.created_at = row.display_at = section.at
    audit(actor, "update.edit", f"update:{row.code}", before, _update_state(row), now)


def _apply_changes(
    document: Document, rows: list[IncidentUpdate], components: dict[Component, str]
) -> None:
    """Note the component changes on the first update, and the recovery on the resolving one."""
    operational = ComponentStatus.OPERATIONAL.value
    wanted: dict[int, set[tuple[Component, str, str]]] = defaultdict(set)
    first, resolving = 0, document.resolving
    # A past incident told in a single update changed nothing that is still visible.
    if resolving != first:
        wanted[first] = {(c, operational, s) for c, s in components.items() if s != operational}
    if resolving is not None and resolving != first:
        wanted[resolving] = {(c, s, operational) for c, s in components.items() if s != operational}
    for index, row in enumerate(rows):
        want = {(c.id, old, new) for c, old, new in wanted[index]}
        have = {
            (change.component_id, change.old_status, change.new_status) for change in row.changes
        }
        if want == have:
            continue
        for change in list(row.changes):
            row.changes.remove(change)
            db.session.delete(change)
        for component, old, new in sorted(wanted[index], key=lambda item: item[0].position):
            row.changes.append(
                UpdateComponentChange(component=component, old_status=old, new_status=new)
            )
