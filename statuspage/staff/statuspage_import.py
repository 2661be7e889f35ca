"""Moving in from Statuspage: `statuspage import-statuspage URL`, one more front door of staff.

A remote page is read and checked (statuspage_source, statuspage_feed), its components are
mapped onto this site's by name or a --map file, and each incident or maintenance is written
in its own transaction through the staff write sequence (statuspage.staff.writes): validated
first, audited, the site's version bumped, status re-derived. Nothing notifies anyone.

Idempotent: an incident is known by its source, `statuspage:<page id>/<remote id>`, and a
digest of what was read, so a second run changes nothing, and a changed remote incident is
brought in line (an edited text keeps the earlier one as a revision; an update gone from the
remote is kept, since published history is never deleted). Remote ids that fit become the
public codes here, so /incidents/<id> links keep working after the move.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import flag_modified

from statuspage.config import StatusConfig
from statuspage.rules import maintenance_status
from statuspage.staff.content_files import CODE_PATTERN, STATUS_FOR_IMPACT, derived_code
from statuspage.staff.statuspage_feed import read_feed
from statuspage.staff.statuspage_fetch import TIMEOUT_S, Fetcher, FetchError
from statuspage.staff.statuspage_source import (
    Bad,
    RemoteIncident,
    RemotePage,
    RemoteUpdate,
    read_incident_list,
    read_page,
)
from statuspage.staff.writes import Actor, affect_only, audit, revise, snapshot, writing
from statuspage.store import limits
from statuspage.store.db import db
from statuspage.store.models import Component, Incident, IncidentUpdate, UpdateComponentChange
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)

SOURCE_PREFIX = "statuspage:"
FEED_DIGEST = "feed:"  # the digest of an incident read from the feed, which says less
_A = {EventKind.INCIDENT: "an incident", EventKind.MAINTENANCE: "a maintenance"}


def read_remote(url: str, now: datetime, timeout: tuple[float, float] = TIMEOUT_S) -> RemotePage:
    """Read a Statuspage page's API and feed; FetchError when its summary or incidents fail."""
    fetcher = Fetcher(url, timeout)
    try:
        page = read_page(fetcher.get_json("/api/v2/summary.json"), fetcher.base_url)
        incidents = fetcher.get_json("/api/v2/incidents.json")
        read_incident_list(incidents, "incidents", EventKind.INCIDENT, page, now)
        try:
            maintenances = fetcher.get_json("/api/v2/scheduled-maintenances.json")
            read_incident_list(
                maintenances, "scheduled_maintenances", EventKind.MAINTENANCE, page, now
            )
        except FetchError as error:
            page.warnings.append(f"maintenances not read: {error}")
        try:
            known = {incident.id for incident in page.incidents}
            for incident in read_feed(fetcher.get("/history.atom"), page, now):
                if incident.id not in known:  # the API's copy says more
                    page.incidents.append(incident)
        except (FetchError, Bad) as error:
            page.warnings.append(f"the feed not read (only the API's 50 newest): {error}")
    finally:
        fetcher.close()
    return page


@dataclass
class Plan:
    """One remote incident checked against this site, ready to write."""

    remote: RemoteIncident
    source: str
    digest: str
    incident: Incident | None
    code: str
    components: dict[Component, str]
    update_codes: list[list[str]]  # per remote update: the codes it may have here
    changes: list[list[tuple[Component, str, str]]]  # per remote update
    outcome: str  # import, update or unchanged


@dataclass
class ImportReport:
    """What an import did (or would do): one line per incident, and the counts."""

    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self, dry_run: bool) -> str:
        """Return the closing line: `2 imported, 1 updated, 5 unchanged, 1 refused`."""
        would = "would be " if dry_run else ""
        parts = [f"{self.counts[key]} {would}{key}" for key in ("imported", "updated")]
        parts += [f"{self.counts[key]} {key}" for key in ("unchanged", "refused")]
        return ", ".join(parts)


def import_page(
    page: RemotePage,
    mapping: dict[str, Component],
    config: StatusConfig,
    now: datetime,
    *,
    dry_run: bool = False,
) -> ImportReport:
    """Bring every remote incident in (or, in a dry run, say what that would do)."""
    report = ImportReport()
    report.lines.extend(f"warning: {warning}" for warning in page.warnings)
    for refused in page.refused:
        report.lines.append(f"refused: {refused}")
        report.counts["refused"] += 1
    owner = page.page_id or (page.url.split("://", 1)[-1])
    actor = Actor(f"{SOURCE_PREFIX}{page.url.split('://', 1)[-1]}"[: limits.ACTOR])
    for remote in sorted(page.incidents, key=lambda r: (r.created_at, r.id)):
        label = f"{remote.kind} {remote.id}"
        source = f"{SOURCE_PREFIX}{owner}/{remote.id}"
        if len(source) > limits.SOURCE:
            report.lines.append(f"refused: {label}: its id makes too long a source")
            report.counts["refused"] += 1
            continue
        plan = _plan(remote, source, page, mapping)
        if plan.incident is not None and plan.incident.kind != remote.kind:
            report.lines.append(
                f"refused: {label}: was imported as {_A[plan.incident.kind]}; that never changes"
            )
            report.counts["refused"] += 1
            continue
        verb = {"import": "imported", "update": "updated", "unchanged": "unchanged"}[plan.outcome]
        if plan.outcome != "unchanged" and not dry_run:
            try:
                _write(plan, actor, config, now)
            except SQLAlchemyError as error:
                db.session.rollback()
                report.lines.append(f"refused: {label}: not written ({error.__class__.__name__})")
                report.counts["refused"] += 1
                continue
        shown = f"would be {verb}" if dry_run and plan.outcome != "unchanged" else verb
        report.lines.append(f"{shown}: {label} as {plan.code}: {remote.name}")
        report.counts[verb] += 1
    return report


def _digest(remote: RemoteIncident, components: dict[Component, str]) -> str:
    """Return what identifies this reading of a remote incident (and how it was mapped)."""
    data = dataclasses.asdict(remote) | {
        "mapped": sorted((c.slug, s) for c, s in components.items())
    }
    text = json.dumps(data, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (FEED_DIGEST + digest[: 64 - len(FEED_DIGEST)]) if remote.origin == "feed" else digest


def _plan(
    remote: RemoteIncident, source: str, page: RemotePage, mapping: dict[str, Component]
) -> Plan:
    """Check one remote incident against the database; nothing is written."""
    stored = db.session.execute(db.select(Incident).where(Incident.source == source)).scalar()
    components = _component_statuses(remote, page, mapping)
    digest = _digest(remote, components)
    outcome = "import" if stored is None else "update"
    if stored is not None and (
        stored.source_digest == digest
        # Once read from the API, an incident is not rewritten from the feed's thinner copy.
        or (remote.origin == "feed" and not (stored.source_digest or "").startswith(FEED_DIGEST))
    ):
        outcome = "unchanged"
    code = stored.code if stored is not None else _free_code(remote.id, source)
    taken = _taken_update_codes([update.id for update in remote.updates], stored)
    update_codes = [
        [c for c in (update.id,) if CODE_PATTERN.match(c) and c not in taken]
        + [derived_code(f"{source}/{update.id}")]
        for update in remote.updates
    ]
    changes = [
        list(
            dict.fromkeys(
                (mapping[change.component_id], change.old_status, change.new_status)
                for change in update.changes
                if change.component_id in mapping
            )
        )
        for update in remote.updates
    ]
    return Plan(remote, source, digest, stored, code, components, update_codes, changes, outcome)


def _free_code(remote_id: str, source: str) -> str:
    """Return the remote id as the public code when it fits and is free, else a derived one."""
    if CODE_PATTERN.match(remote_id):
        used = db.session.execute(db.select(Incident.id).where(Incident.code == remote_id))
        if used.first() is None:
            return remote_id
    return derived_code(source)


def _taken_update_codes(codes: list[str], stored: Incident | None) -> set[str]:
    """Return which of these codes updates of other incidents already have."""
    rows = db.session.execute(
        db.select(IncidentUpdate.code, IncidentUpdate.incident_id).where(
            IncidentUpdate.code.in_([c for c in codes if CODE_PATTERN.match(c)])
        )
    )
    return {code for code, owner in rows if stored is None or owner != stored.id}


def _component_statuses(
    remote: RemoteIncident, page: RemotePage, mapping: dict[str, Component]
) -> dict[Component, str]:
    """Return the status the incident gives each mapped component it affects.

    A maintenance: under maintenance. A resolved incident: the worst its updates set. An open
    one: the latest its updates set, else what the remote page shows now. Neither: the status
    its impact stands for.
    """
    ids = list(remote.component_ids)
    ids += [c.component_id for u in remote.updates for c in u.changes if c.component_id not in ids]
    result: dict[Component, str] = {}
    order = list(ComponentStatus)
    for remote_id in ids:
        component = mapping.get(remote_id)
        if component is None or component in result:
            continue
        if remote.kind == EventKind.MAINTENANCE:
            result[component] = ComponentStatus.UNDER_MAINTENANCE.value
            continue
        set_by_updates = [
            c.new_status
            for u in remote.updates
            for c in u.changes
            if c.component_id == remote_id and c.new_status != ComponentStatus.UNDER_MAINTENANCE
        ]
        shown = page.components.get(remote_id)
        fallback = STATUS_FOR_IMPACT[Impact(remote.impact)].value
        if remote.status in RESOLVED_INCIDENT_STATUSES:
            outages = [s for s in set_by_updates if s != ComponentStatus.OPERATIONAL]
            status = max(outages, key=order.index) if outages else fallback
        elif set_by_updates:
            status = set_by_updates[-1]
        elif shown is not None and shown.status not in (None, ComponentStatus.UNDER_MAINTENANCE):
            status = str(shown.status)
        else:
            status = fallback
        result[component] = status
    return result


def _write(plan: Plan, actor: Actor, config: StatusConfig, now: datetime) -> None:
    """Create or update one incident in one transaction through the staff write sequence."""
    new = plan.incident is None
    action = "statuspage.import" if new else "statuspage.update"
    with writing(actor, action, config, now) as write:
        incident = plan.incident
        before = None if incident is None else snapshot(incident)
        previous = [] if incident is None else [a.component for a in incident.affected]
        if incident is None:
            incident = Incident(code=plan.code, kind=plan.remote.kind, automatic=False)
            db.session.add(incident)
        _apply_fields(incident, plan, now)
        affect_only(incident, plan.components)
        _apply_updates(incident, plan, actor, now, audited=not new)
        write.audit_incident(incident, before)
        write.touch(sorted([*previous, *plan.components], key=lambda component: component.id))


def _apply_fields(incident: Incident, plan: Plan, now: datetime) -> None:
    """Copy the remote's name, impact, times, status and postmortem onto the incident."""
    remote = plan.remote
    incident.name, incident.impact = remote.name, remote.impact
    incident.created_at, incident.updated_at = remote.created_at, remote.updated_at
    incident.started_at, incident.monitoring_at = remote.started_at, remote.monitoring_at
    incident.scheduled_for, incident.scheduled_until = remote.scheduled_for, remote.scheduled_until
    incident.status, incident.resolved_at = remote.status, remote.resolved_at
    if remote.kind == EventKind.MAINTENANCE and remote.scheduled_for and remote.scheduled_until:
        # The window moves it on here as it would have there (and as reads show it).
        incident.status = maintenance_status(
            remote.scheduled_for, remote.scheduled_until, now, remote.status
        ).value
        if incident.status == MaintenanceStatus.COMPLETED and incident.resolved_at is None:
            incident.resolved_at = min(remote.scheduled_until, now)
    elif incident.status not in RESOLVED_INCIDENT_STATUSES:
        incident.resolved_at = None
    elif incident.resolved_at is None:
        closing = [u.created_at for u in remote.updates if u.status in RESOLVED_INCIDENT_STATUSES]
        incident.resolved_at = closing[0] if closing else remote.updated_at
    if incident.postmortem != remote.postmortem:
        written = [u.created_at for u in remote.updates if u.status == IncidentStatus.POSTMORTEM]
        incident.postmortem = remote.postmortem
        published = written[-1] if written else remote.updated_at
        incident.postmortem_at = published if remote.postmortem else None
    incident.source, incident.source_digest = plan.source, plan.digest
    # The remote's time even when unchanged, or the column's onupdate would write ours.
    flag_modified(incident, "updated_at")


def _apply_updates(
    incident: Incident, plan: Plan, actor: Actor, now: datetime, *, audited: bool
) -> None:
    """Bring the incident's imported updates in line with the remote's."""
    by_code = {update.code: update for update in incident.updates}
    for remote, codes, changes in zip(
        plan.remote.updates, plan.update_codes, plan.changes, strict=True
    ):
        row = next((by_code[code] for code in codes if code in by_code), None)
        if row is None:
            row = IncidentUpdate(
                code=codes[0],
                incident=incident,
                status=remote.status,
                body=remote.body,
                author=actor.name,
                created_at=remote.created_at,
                display_at=remote.display_at,
                deliver_notifications=False,  # history, not news: nobody is told again
            )
            db.session.add(row)
            if audited:  # a new incident's whole timeline is in its import entry
                audit(actor, "update.create", f"update:{row.code}", None, _audited(row), now)
        elif _state(row) != _state(remote):
            before = _audited(row)
            if (row.status, row.body) != (remote.status, remote.body):
                revise(row, actor, now, status=remote.status, body=remote.body)
            row.created_at, row.display_at = remote.created_at, remote.display_at
            audit(actor, "update.edit", f"update:{row.code}", before, _audited(row), now)
        _apply_changes(row, changes)


def _state(update: IncidentUpdate | RemoteUpdate) -> dict[str, Any]:
    """Return what an update says and when, as audited (and compared with the remote's)."""
    return {
        "status": update.status,
        "body": update.body,
        "created_at": update.created_at.isoformat(),
        "display_at": update.display_at.isoformat(),
    }


def _audited(row: IncidentUpdate) -> dict[str, Any]:
    return {"code": row.code, **_state(row)}


def _apply_changes(row: IncidentUpdate, changes: list[tuple[Component, str, str]]) -> None:
    """Give an update exactly the component changes the remote one made."""
    want = {(component.id, old, new) for component, old, new in changes}
    have = {(change.component_id, change.old_status, change.new_status) for change in row.changes}
    if want == have:
        return
    for change in list(row.changes):
        row.changes.remove(change)
        db.session.delete(change)
    for component, old, new in changes:
        row.changes.append(
            UpdateComponentChange(component=component, old_status=old, new_status=new)
        )
