"""The admin screens' forms, their choices, and datetime-local values in the site's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from statuspage.vocabulary import (
    STATUS_LABELS,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Role,
)

INCIDENT_STATUSES = [SelectChoice(s.value, s.value.capitalize()) for s in IncidentStatus]
MAINTENANCE_STATUSES = [
    SelectChoice(s.value, s.value.replace("_", " ").capitalize()) for s in MaintenanceStatus
]
# "from_components": let the service derive the impact from the affected components' statuses.
IMPACTS = [SelectChoice("from_components", "From components")] + [
    SelectChoice(i.value, i.value.capitalize()) for i in Impact
]
ROLES = [
    SelectChoice(Role.EDITOR.value, "Editor: incidents, maintenance, notes"),
    SelectChoice(Role.ADMIN.value, "Admin: also users, tokens and components"),
]
TOKEN_SCOPES = [
    SelectChoice("write", "write: incidents, maintenance, component status"),
    SelectChoice("results", "results: a probe agent at one location"),
]
# Plain pairs for the per-component selects the templates draw themselves.
COMPONENT_STATUSES = [(s.value, STATUS_LABELS[s]) for s in ComponentStatus]


class ButtonForm(FlaskForm):
    """A form with no fields: a button that needs its CSRF token."""


class IncidentForm(FlaskForm):
    """A new incident."""

    name = StringField("Title")
    status = SelectField(
        "Status", choices=INCIDENT_STATUSES, default=IncidentStatus.INVESTIGATING.value
    )
    impact = SelectField("Impact", choices=IMPACTS, default="from_components")
    # Blank: it starts now. A past start (and, once resolved, an end) enters it afterwards.
    started_at = DateTimeLocalField("Started", validators=[Optional()])
    resolved_at = DateTimeLocalField("Resolved", validators=[Optional()])
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
    notify = BooleanField("Notify subscribers", default=True)


class MaintenanceForm(FlaskForm):
    """A maintenance window."""

    name = StringField("Title")
    scheduled_for = DateTimeLocalField("Starts", validators=[Optional()])
    scheduled_until = DateTimeLocalField("Ends", validators=[Optional()])
    body = TextAreaField("Details (markdown)")
    notify = BooleanField("Notify subscribers", default=True)


def aware(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Read a datetime-local form value as a time in the site's zone."""
    return value.replace(tzinfo=zone) if value else None


def local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Return a stored time as a naive local time for a datetime-local field."""
    return value.astimezone(zone).replace(tzinfo=None) if value else None


class PasswordForm(FlaskForm):
    """A new password for one's own account, proved by the current one."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        "New password again", validators=[EqualTo("new", message="The two do not match.")]
    )


class CodeForm(FlaskForm):
    """A code from the authenticator app (enrolment, or to turn two-factor sign-in off)."""

    code = StringField("Code from the app", validators=[DataRequired(), Length(max=32)])


class UserForm(FlaskForm):
    """A new staff account."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLES, default=Role.EDITOR.value)
    password = PasswordField("First password", validators=[DataRequired(), Length(max=1000)])


class TokenForm(FlaskForm):
    """A new API token."""

    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    scope = SelectField("Scope", choices=TOKEN_SCOPES, default="write")
    location = StringField("Location (results tokens)", validators=[Optional(), Length(max=100)])
