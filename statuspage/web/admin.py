"""The admin screens on-call staff use: incidents, updates, maintenance, component status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from statuspage import staff
from statuspage.config import StatusConfig
from statuspage.reads.markdown import render_markdown
from statuspage.reads.status import shown_statuses, visible_components
from statuspage.rules import update_label
from statuspage.store.db import db, utcnow
from statuspage.store.models import AuditEntry, Component, Incident
from statuspage.vocabulary import (
    STATUS_LABELS,
    UNRESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    EventKind,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from statuspage.web.auth import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")

INCIDENT_STATUSES = [SelectChoice(s.value, s.value.capitalize()) for s in IncidentStatus]
MAINTENANCE_STATUSES = [
    SelectChoice(s.value, s.value.replace("_", " ").capitalize()) for s in MaintenanceStatus
]
IMPACTS = [SelectChoice("from_components", "From components")] + [
    SelectChoice(i.value, i.value.capitalize()) for i in Impact
]
# Plain pairs for the per-component selects the templates draw themselves.
COMPONENT_STATUSES = [(s.value, STATUS_LABELS[s]) for s in ComponentStatus]


@bp.before_request
def require_sign_in() -> Any:
    """Send anyone not signed in to the sign-in form."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def no_store(response: Any) -> Any:
    """Keep staff pages out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor() -> staff.Actor:
    return staff.Actor(current_user.email)


def _config() -> StatusConfig:
    return current_app.config["STATUS"]


def _leaves() -> list[Component]:
    return [c for c in visible_components() if not c.is_group]


def _aware(value: datetime | None) -> datetime | None:
    """Read a datetime-local form value as a time in the site's zone."""
    return value.replace(tzinfo=_config().site.zone) if value else None


def _component_statuses() -> dict[str, str]:
    """Read the per-component status selects (`component-<slug>`); blank means unchanged."""
    return {
        component.slug: value
        for component in _leaves()
        if (value := request.form.get(f"component-{component.slug}", ""))
    }


def _attempt(action: Callable[[], Any], success: str) -> Any:
    """Run a staff action; flash its error (naming the field) instead of failing the page."""
    try:
        result = action()
    except staff.StaffError as error:
        db.session.rollback()
        field = f" ({error.field})" if error.field else ""
        flash(f"{error.message}{field}", "error")
        return None
    flash(success, "info")
    return result


def _incident_or_404(code: str) -> Incident:
    try:
        return staff.get_incident(code)
    except staff.NotFound:
        abort(404)


class ButtonForm(FlaskForm):
    """A form with no fields: a button that needs its CSRF token."""


class IncidentForm(FlaskForm):
    """A new incident."""

    name = StringField("Title")
    status = SelectField("Status", choices=INCIDENT_STATUSES, default="investigating")
    impact = SelectField("Impact", choices=IMPACTS, default="from_components")
    body = TextAreaField("First note (markdown)")
    notify = BooleanField("Notify subscribers", default=True)


class UpdateForm(FlaskForm):
    """A new update on an incident or maintenance."""

    status = SelectField("Status", choices=INCIDENT_STATUSES)
    body = TextAreaField("Note (markdown)")
    notify = BooleanField("Notify subscribers", default=True)


class EditForm(FlaskForm):
    """A new text for an update."""

    body = TextAreaField("Note (markdown)")


class PostmortemForm(FlaskForm):
    """A postmortem for a resolved incident."""

    postmortem = TextAreaField("Postmortem (markdown)")


class MaintenanceForm(FlaskForm):
    """A maintenance window."""

    name = StringField("Title")
    scheduled_for = DateTimeLocalField("Starts", validators=[Optional()])
    scheduled_until = DateTimeLocalField("Ends", validators=[Optional()])
    body = TextAreaField("Details (markdown)")


def _preview(text: str | None) -> Markup | None:
    """Render the note for a preview when staff pressed Preview rather than Post."""
    return render_markdown(text or "") if request.form.get("action") == "preview" else None


@bp.get("/")
def incidents():
    """List incidents and maintenance, open ones first."""
    rows = list(
        db.session.execute(
            db.select(Incident).order_by(Incident.started_at.desc()).limit(200)
        ).scalars()
    )
    open_incidents = [
        i for i in rows if i.kind == EventKind.INCIDENT and i.status in UNRESOLVED_INCIDENT_STATUSES
    ]
    maintenances = [
        i
        for i in rows
        if i.kind == EventKind.MAINTENANCE and i.status != MaintenanceStatus.COMPLETED
    ]
    closed = [i for i in rows if i not in open_incidents and i not in maintenances][:50]
    return render_template(
        "admin/incidents.html",
        open_incidents=open_incidents,
        maintenances=maintenances,
        closed=closed,
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    """Open an incident: title, status, impact, affected components, first note."""
    form = IncidentForm()
    preview = None
    if form.validate_on_submit():
        preview = _preview(form.body.data)
        if preview is None:
            incident = _attempt(
                lambda: staff.create_incident(
                    _actor(),
                    _config(),
                    utcnow(),
                    name=form.name.data,
                    status=form.status.data,
                    body=form.body.data,
                    impact=form.impact.data,
                    components=_component_statuses(),
                    notify=form.notify.data,
                ),
                "Incident opened.",
            )
            if incident is not None:
                return redirect(url_for("admin.incident", code=incident.code))
    return _render_form("admin/incident_form.html", form, preview=preview)


def _render_form(template: str, form: FlaskForm, **context: Any) -> Any:
    """Render a form page; a refused submission answers 422 so clients can tell."""
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            template,
            form=form,
            components=_leaves(),
            chosen=request.form,
            component_statuses=COMPONENT_STATUSES,
            **context,
        ),
        status,
    )


@bp.get("/incidents/<code>")
def incident(code: str):
    """Show an incident or maintenance with its timeline and the forms that act on it."""
    event = _incident_or_404(code)
    return _incident_page(event, UpdateForm(formdata=None), PostmortemForm(formdata=None))


def _incident_page(
    event: Incident, update_form: UpdateForm, postmortem_form: PostmortemForm, **context: Any
) -> Any:
    if event.kind == EventKind.MAINTENANCE:
        update_form.status.choices = MAINTENANCE_STATUSES
    if request.method == "GET":
        update_form.status.data = event.status
        postmortem_form.postmortem.data = event.postmortem
    updates = list(reversed(event.updates))  # oldest first, to label status changes
    labels = {}
    previous = None
    for update in updates:
        labels[update.id] = update_label(update.status, previous)
        previous = update.status
    trail = db.session.execute(
        db.select(AuditEntry)
        .where(
            AuditEntry.target.in_(
                [f"incident:{event.code}", *(f"update:{u.code}" for u in event.updates)]
            )
        )
        .order_by(AuditEntry.id.desc())
    ).scalars()
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "admin/incident.html",
            event=event,
            labels=labels,
            trail=list(trail),
            update_form=update_form,
            postmortem_form=postmortem_form,
            button=ButtonForm(),
            components=_leaves(),
            chosen=request.form,
            component_statuses=COMPONENT_STATUSES,
            current={affected.component_id: affected.status for affected in event.affected},
            **context,
        ),
        status,
    )


@bp.post("/incidents/<code>/updates")
def post_update(code: str):
    """Post an update (or preview it), with any component status changes."""
    event = _incident_or_404(code)
    form = UpdateForm()
    if event.kind == EventKind.MAINTENANCE:
        form.status.choices = MAINTENANCE_STATUSES
    if form.validate_on_submit():
        preview = _preview(form.body.data)
        if preview is not None:
            return _incident_page(event, form, PostmortemForm(formdata=None), preview=preview)
        done = _attempt(
            lambda: staff.post_update(
                _actor(),
                _config(),
                utcnow(),
                event,
                status=form.status.data,
                body=form.body.data,
                components=_component_statuses(),
                notify=form.notify.data,
            ),
            "Update posted.",
        )
        if done is not None:
            return redirect(url_for("admin.incident", code=code))
    return _incident_page(event, form, PostmortemForm(formdata=None))


@bp.post("/incidents/<code>/resolve")
def resolve(code: str):
    """Resolve an incident with the default closing text."""
    event = _incident_or_404(code)
    if ButtonForm().validate_on_submit():
        _attempt(
            lambda: staff.post_update(
                _actor(),
                _config(),
                utcnow(),
                event,
                status="resolved",
                body=None,
                components={a.component.slug: "operational" for a in event.affected},
            ),
            "Incident resolved.",
        )
    return redirect(url_for("admin.incident", code=code))


@bp.post("/incidents/<code>/postmortem")
def postmortem(code: str):
    """Publish (or preview) the postmortem of a resolved incident."""
    event = _incident_or_404(code)
    form = PostmortemForm()
    if form.validate_on_submit():
        preview = _preview(form.postmortem.data)
        if preview is not None:
            return _incident_page(
                event, UpdateForm(formdata=None), form, postmortem_preview=preview
            )
        done = _attempt(
            lambda: staff.change_incident(
                _actor(), _config(), utcnow(), event, postmortem=form.postmortem.data
            ),
            "Postmortem published.",
        )
        if done is not None:
            return redirect(url_for("admin.incident", code=code))
    return _incident_page(event, UpdateForm(formdata=None), form)


@bp.route("/updates/<code>/edit", methods=["GET", "POST"])
def edit_update(code: str):
    """Correct an update's text; the earlier text stays in its revisions."""
    try:
        update = staff.get_update(code)
    except staff.NotFound:
        abort(404)
    form = EditForm(data={"body": update.body} if request.method == "GET" else None)
    preview = None
    if form.validate_on_submit():
        preview = _preview(form.body.data)
        if preview is None:
            done = _attempt(
                lambda: staff.edit_update(
                    _actor(), _config(), utcnow(), update, body=form.body.data
                ),
                "Update corrected; the earlier text is kept.",
            )
            if done is not None:
                return redirect(url_for("admin.incident", code=update.incident.code))
    return _render_form("admin/update_edit.html", form, update=update, preview=preview)


@bp.route("/maintenance/new", methods=["GET", "POST"])
def new_maintenance():
    """Schedule a maintenance window."""
    form = MaintenanceForm()
    if form.validate_on_submit():
        maintenance = _attempt(
            lambda: staff.schedule_maintenance(
                _actor(),
                _config(),
                utcnow(),
                name=form.name.data,
                scheduled_for=_aware(form.scheduled_for.data) or "",
                scheduled_until=_aware(form.scheduled_until.data) or "",
                components=request.form.getlist("components"),
                body=form.body.data,
            ),
            "Maintenance scheduled.",
        )
        if maintenance is not None:
            return redirect(url_for("admin.incident", code=maintenance.code))
    return _render_form("admin/maintenance_form.html", form, maintenance=None)


@bp.route("/maintenance/<code>/edit", methods=["GET", "POST"])
def edit_maintenance(code: str):
    """Change a maintenance's title, window or components."""
    maintenance = _incident_or_404(code)
    zone = _config().site.zone
    form = MaintenanceForm(
        data={
            "name": maintenance.name,
            "scheduled_for": _local(maintenance.scheduled_for, zone),
            "scheduled_until": _local(maintenance.scheduled_until, zone),
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        done = _attempt(
            lambda: staff.edit_maintenance(
                _actor(),
                _config(),
                utcnow(),
                maintenance,
                name=form.name.data,
                scheduled_for=_aware(form.scheduled_for.data),
                scheduled_until=_aware(form.scheduled_until.data),
                components=request.form.getlist("components"),
            ),
            "Maintenance changed.",
        )
        if done is not None:
            return redirect(url_for("admin.incident", code=code))
    return _render_form("admin/maintenance_form.html", form, maintenance=maintenance)


def _local(value: datetime | None, zone: Any) -> datetime | None:
    """Return a stored time as a naive local time for a datetime-local field."""
    return value.astimezone(zone).replace(tzinfo=None) if value else None


@bp.post("/maintenance/<code>/cancel")
def cancel_maintenance(code: str):
    """End a maintenance now (or before it starts)."""
    maintenance = _incident_or_404(code)
    if ButtonForm().validate_on_submit():
        _attempt(
            lambda: staff.cancel_maintenance(_actor(), _config(), utcnow(), maintenance),
            "Maintenance cancelled.",
        )
    return redirect(url_for("admin.incident", code=code))


@bp.route("/components", methods=["GET", "POST"])
def components():
    """Set or clear components' manual status."""
    form = ButtonForm()
    if form.validate_on_submit():
        slug = request.form.get("slug", "")
        chosen = request.form.get("status") if request.form.get("action") == "set" else None
        _attempt(
            lambda: staff.set_component_status(_actor(), _config(), utcnow(), slug, chosen),
            "Manual status set." if chosen else "Manual status cleared.",
        )
        return redirect(url_for("admin.components"))
    leaves = _leaves()
    return render_template(
        "admin/components.html",
        components=leaves,
        shown=shown_statuses(leaves, utcnow()),
        component_statuses=COMPONENT_STATUSES,
        form=form,
    )


@bp.get("/audit")
def audit():
    """Show the audit log, newest first."""
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and int(page) > 0 else 1
    entries = db.session.execute(
        db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(100).offset((number - 1) * 100)
    ).scalars()
    return render_template("admin/audit.html", entries=list(entries), page=number)
