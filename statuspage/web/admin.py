"""The admin screens on-call staff use: incidents, updates, maintenance, component status."""

from __future__ import annotations

from collections.abc import Callable
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

from statuspage import staff
from statuspage.config import StatusConfig
from statuspage.reads.admin import audit_page, audit_trail, incident_lists, update_labels
from statuspage.reads.checks import certificates
from statuspage.reads.markdown import render_markdown, render_postmortem
from statuspage.reads.status import observed, shown_statuses
from statuspage.reads.summary import leaf_components
from statuspage.rules import manual_hides
from statuspage.staff.incident_templates import IncidentTemplate, usable_templates
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident
from statuspage.vocabulary import (
    RESOLVED_INCIDENT_STATUSES,
    ComponentStatus,
    EventKind,
    IncidentStatus,
    MaintenanceStatus,
)
from statuspage.web.admin_forms import (
    COMPONENT_STATUSES,
    MAINTENANCE_STATUSES,
    ButtonForm,
    EditForm,
    IncidentForm,
    MaintenanceForm,
    PostmortemForm,
    UpdateForm,
    aware,
    local,
)
from statuspage.web.auth import admin_only, guard

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp)


def _config() -> StatusConfig:
    return current_app.config["STATUS"]


def _component_statuses() -> dict[str, str]:
    """Read the per-component status selects (`component-<slug>`); blank means unchanged."""
    return {
        component.slug: value
        for component in leaf_components()
        if (value := request.form.get(f"component-{component.slug}", ""))
    }


def _act(action: Callable[..., Any], success: str, *args: Any, **fields: Any) -> Any:
    """Run a staff action as the signed-in person, now; flash its error instead of failing.

    Every staff action takes (actor, config, now) first; the error names the field it is about.
    """
    try:
        result = action(staff.Actor(current_user.email), _config(), utcnow(), *args, **fields)
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


def _preview(text: str | None, render: Callable[[str], Markup] = render_markdown) -> Markup | None:
    """Render the note for a preview when staff pressed Preview rather than Post."""
    return render(text or "") if request.form.get("action") == "preview" else None


def _refused_or_shown() -> int:
    """Return a form page's status: a submission shown again was refused (422), so clients tell."""
    return 422 if request.method == "POST" else 200


def _render_form(template: str, form: FlaskForm, **context: Any) -> Any:
    """Render a form page with the component status selects."""
    context.setdefault("chosen", request.form)
    return (
        render_template(
            template,
            form=form,
            components=leaf_components(),
            component_statuses=COMPONENT_STATUSES,
            **context,
        ),
        _refused_or_shown(),
    )


def _chosen_template(templates: list[IncidentTemplate]) -> IncidentTemplate | None:
    """Return the template a form page was asked to start from (?template=<key>), if valid."""
    key = request.args.get("template")
    if request.method != "GET" or not key:
        return None
    found = next((template for template in templates if template.key == key), None)
    if found is None:
        flash("No valid template has that name (`statuspage content check` says why).", "error")
    return found


def _names(slugs: Any) -> list[str]:
    """Return these components' names in page order."""
    return [component.name for component in leaf_components() if component.slug in slugs]


def _selects(template: IncidentTemplate) -> dict[str, str]:
    """Return the component selects a template sets, as the form would post them."""
    return {f"component-{slug}": status for slug, status in template.components.items()}


@bp.get("/")
def incidents():
    """List incidents and maintenance, open ones first."""
    lists = incident_lists()
    expiring = [c for c in certificates(_config(), utcnow()) if c.soon]
    return render_template(
        "admin/incidents.html",
        open_incidents=lists.open_incidents,
        maintenances=lists.maintenances,
        closed=lists.closed,
        expiring=expiring,
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    """Open an incident: title, status, impact, affected components, first note."""
    form = IncidentForm()
    templates = usable_templates(_config())
    context: dict[str, Any] = {"templates": templates}
    if template := _chosen_template(templates):
        # Every field from the template; {component} names the template's own components.
        form.name.data, form.body.data = template.filled(
            _names(template.components), _config().site.name
        )
        form.status.data, form.impact.data = template.status, template.impact
        context["chosen"] = _selects(template)
    preview = None
    if form.validate_on_submit():
        preview = _preview(form.body.data)
        if preview is None:
            zone = _config().site.zone
            incident = _act(
                staff.create_incident,
                "Incident opened.",
                name=form.name.data,
                status=form.status.data,
                body=form.body.data,
                impact=form.impact.data,
                components=_component_statuses(),
                started_at=aware(form.started_at.data, zone),
                resolved_at=aware(form.resolved_at.data, zone),
                notify=form.notify.data,
            )
            if incident is not None:
                return redirect(url_for("admin.incident", code=incident.code))
    return _render_form("admin/incident_form.html", form, preview=preview, **context)


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
    templates = [] if event.is_maintenance else usable_templates(_config())
    chosen: Any = request.form
    if template := _chosen_template(templates):
        # {component} names the incident's components (the template's, if it has none yet).
        slugs = [a.component.slug for a in event.affected] or template.components
        update_form.body.data = template.filled(_names(slugs), _config().site.name)[1]
        update_form.status.data = template.status
        chosen = _selects(template)
    labels = update_labels(event)
    return (
        render_template(
            "admin/incident.html",
            event=event,
            labels=labels,
            trail=audit_trail(event),
            update_form=update_form,
            postmortem_form=postmortem_form,
            button=ButtonForm(),
            components=leaf_components(),
            chosen=chosen,
            component_statuses=COMPONENT_STATUSES,
            current={affected.component_id: affected.status for affected in event.affected},
            templates=templates,
            **context,
        ),
        _refused_or_shown(),
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
        done = _act(
            staff.post_update,
            "Update posted.",
            event,
            status=form.status.data,
            body=form.body.data,
            components=_component_statuses(),
            notify=form.notify.data,
        )
        if done is not None:
            return redirect(url_for("admin.incident", code=code))
    return _incident_page(event, form, PostmortemForm(formdata=None))


@bp.get("/incidents/<code>/resolve")
def confirm_resolve(code: str):
    """Ask before resolving: say what the closing update says and what it sets operational."""
    event = _incident_or_404(code)
    if event.kind == EventKind.MAINTENANCE or event.status in RESOLVED_INCIDENT_STATUSES:
        return redirect(url_for("admin.incident", code=code))
    components = [affected.component for affected in event.affected]
    return render_template(
        "admin/confirm_resolve.html",
        event=event,
        button=ButtonForm(),
        shown=shown_statuses(components, utcnow()),
    )


@bp.post("/incidents/<code>/resolve")
def resolve(code: str):
    """Resolve an incident with the default closing text."""
    event = _incident_or_404(code)
    if ButtonForm().validate_on_submit():
        _act(
            staff.post_update,
            "Incident resolved.",
            event,
            # Plain strings (.value): the service's error messages quote what they were given.
            status=IncidentStatus.RESOLVED.value,
            body=None,
            components={
                a.component.slug: ComponentStatus.OPERATIONAL.value for a in event.affected
            },
            notify=request.form.get("notify") == "y",
        )
    return redirect(url_for("admin.incident", code=code))


@bp.post("/incidents/<code>/postmortem")
def postmortem(code: str):
    """Publish (or preview) the postmortem of a resolved incident."""
    event = _incident_or_404(code)
    form = PostmortemForm()
    if form.validate_on_submit():
        preview = _preview(form.postmortem.data, render_postmortem)
        if preview is not None:
            return _incident_page(
                event, UpdateForm(formdata=None), form, postmortem_preview=preview
            )
        done = _act(
            staff.change_incident,
            "Postmortem published.",
            event,
            postmortem=form.postmortem.data,
            notify=form.notify.data,
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
            done = _act(
                staff.edit_update,
                "Update corrected; the earlier text is kept.",
                update,
                body=form.body.data,
            )
            if done is not None:
                return redirect(url_for("admin.incident", code=update.incident.code))
    return _render_form("admin/update_edit.html", form, update=update, preview=preview)


@bp.route("/maintenance/new", methods=["GET", "POST"])
def new_maintenance():
    """Schedule a maintenance window."""
    form = MaintenanceForm()
    if form.validate_on_submit():
        zone = _config().site.zone
        maintenance = _act(
            staff.schedule_maintenance,
            "Maintenance scheduled.",
            name=form.name.data,
            scheduled_for=aware(form.scheduled_for.data, zone) or "",
            scheduled_until=aware(form.scheduled_until.data, zone) or "",
            components=request.form.getlist("components"),
            body=form.body.data,
            notify=form.notify.data,
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
            "scheduled_for": local(maintenance.scheduled_for, zone),
            "scheduled_until": local(maintenance.scheduled_until, zone),
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        done = _act(
            staff.edit_maintenance,
            "Maintenance changed.",
            maintenance,
            name=form.name.data,
            scheduled_for=aware(form.scheduled_for.data, zone),
            scheduled_until=aware(form.scheduled_until.data, zone),
            components=request.form.getlist("components"),
        )
        if done is not None:
            return redirect(url_for("admin.incident", code=code))
    return _render_form("admin/maintenance_form.html", form, maintenance=maintenance)


@bp.get("/maintenance/<code>/cancel")
def confirm_cancel(code: str):
    """Ask before ending a maintenance early (or calling it off before it starts)."""
    maintenance = _incident_or_404(code)
    if (
        maintenance.kind != EventKind.MAINTENANCE
        or maintenance.status == MaintenanceStatus.COMPLETED
    ):
        return redirect(url_for("admin.incident", code=code))
    return render_template(
        "admin/confirm_cancel.html", event=maintenance, button=ButtonForm(), now=utcnow()
    )


@bp.post("/maintenance/<code>/cancel")
def cancel_maintenance(code: str):
    """End a maintenance now (or before it starts)."""
    maintenance = _incident_or_404(code)
    if ButtonForm().validate_on_submit():
        _act(staff.cancel_maintenance, "Maintenance cancelled.", maintenance)
    return redirect(url_for("admin.incident", code=code))


@bp.route("/components", methods=["GET", "POST"])
@admin_only
def components():
    """Set or clear components' manual status; ask first when one would hide what is seen."""
    form = ButtonForm()
    leaves = leaf_components()
    now = utcnow()
    if form.validate_on_submit():
        slug = request.form.get("slug", "")
        chosen = request.form.get("status") if request.form.get("action") == "set" else None
        target = next((c for c in leaves if c.slug == slug), None)
        if target is not None and chosen in {status.value for status in ComponentStatus}:
            seen = observed(target, now)
            if manual_hides(chosen, seen.status) and request.form.get("confirmed") != "yes":
                # Not set yet: the server's own confirmation step, since the pages run no script.
                return render_template(
                    "admin/confirm_status.html",
                    component=target,
                    chosen=ComponentStatus(chosen),
                    seen=seen,
                    form=form,
                )
        _act(
            staff.set_component_status,
            "Manual status set." if chosen else "Manual status cleared.",
            slug,
            chosen,
        )
        return redirect(url_for("admin.components"))
    return render_template(
        "admin/components.html",
        components=leaves,
        shown=shown_statuses(leaves, now),
        seen={component.id: observed(component, now) for component in leaves},
        component_statuses=COMPONENT_STATUSES,
        form=form,
    )


@bp.get("/audit")
def audit():
    """Show the audit log, newest first."""
    page = request.args.get("page", "1")
    # isdecimal, not isdigit: "²" is a digit int() refuses; and a page past the log is empty.
    number = int(page) if page.isascii() and page.isdecimal() and 0 < len(page) < 8 else 1
    return render_template("admin/audit.html", entries=audit_page(max(number, 1)), page=number)
