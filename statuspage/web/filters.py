"""Template filters: times in the site's zone, words for durations and figures, markdown."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from markupsafe import Markup, escape

from statuspage.reads.formatting import FILTERS
from statuspage.reads.markdown import render_markdown, render_postmortem, render_update
from statuspage.rules import UPDATE_LABELS
from statuspage.vocabulary import STATUS_LABELS, ComponentStatus, IncidentStatus, MaintenanceStatus

IMPACT_LABELS = {
    "none": "No impact",
    "minor": "Minor impact",
    "major": "Major impact",
    "critical": "Critical impact",
    "maintenance": "Maintenance",
}


def local_time(value: datetime | None, fmt: str = "%b %d, %H:%M") -> str:
    """Format an aware datetime in the site's zone, naming the zone."""
    if value is None:
        return ""
    local = value.astimezone(current_app.config["STATUS"].site.zone)
    return f"{local.strftime(fmt)} {local.tzname()}"


def time_tag(value: datetime | None, fmt: str = "%b %d, %H:%M") -> Markup:
    """Return a <time> element carrying the ISO instant and the local rendering."""
    if value is None:
        return Markup("")
    iso = value.isoformat(timespec="seconds")
    return Markup(f'<time datetime="{escape(iso)}">{escape(local_time(value, fmt))}</time>')


def status_label(status: str) -> str:
    """Return the words for a component status."""
    try:
        return STATUS_LABELS[ComponentStatus(status)]
    except ValueError:  # "unknown": a provider's component not read
        return status.replace("_", " ").capitalize()


def event_status_label(status: str) -> str:
    """Return the words for an incident's or maintenance's status: "Monitoring", "In progress"."""
    for kind in (IncidentStatus, MaintenanceStatus):
        try:
            return UPDATE_LABELS[kind(status)]
        except ValueError:
            continue
    return status.replace("_", " ").capitalize()


def impact_label(impact: str) -> str:
    """Return the words for an impact: "Major impact", "No impact", "Maintenance"."""
    return IMPACT_LABELS.get(impact, impact.capitalize())


def register(app: Flask) -> None:
    """Make the filters available to templates."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(time_tag, "time_tag")
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(event_status_label, "event_status_label")
    app.add_template_filter(impact_label, "impact_label")
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(render_postmortem, "postmortem")
    app.add_template_filter(render_update, "update_html")
    for words in FILTERS:
        app.add_template_filter(words)
