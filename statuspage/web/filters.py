"""Template filters: times in the site's zone, words for durations and figures, markdown."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_percent
from flask import Flask, current_app
from flask_babel import gettext
from markupsafe import Markup, escape

from statuspage.reads.formatting import (
    FILTERS,
    SHORT_TIME,
    format_day,
    local_moment,
    reader_locale,
)
from statuspage.reads.markdown import render_markdown, render_postmortem, render_update
from statuspage.reads.system_text import event_name
from statuspage.rules import UPDATE_LABELS
from statuspage.vocabulary import (
    N_,
    STATUS_LABELS,
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
)

IMPACT_LABELS = {
    "none": N_("No impact"),
    "minor": N_("Minor impact"),
    "major": N_("Major impact"),
    "critical": N_("Critical impact"),
    "maintenance": N_("Maintenance"),
}


def local_time(value: datetime | None, skeleton: str = SHORT_TIME) -> str:
    """Format an aware datetime in the site's zone and the reader's language, naming the zone."""
    if value is None:
        return ""
    return local_moment(value, current_app.config["STATUS"].site.zone, skeleton)


OUTCOME_LABELS = {"up": N_("Up"), "degraded": N_("Degraded"), "down": N_("Down")}


def outcome_label(outcome: str) -> str:
    """Return the words for a probe result's outcome: "Up", "Degraded", "Down"."""
    return gettext(OUTCOME_LABELS[outcome]) if outcome in OUTCOME_LABELS else outcome.capitalize()


def format_target(value: float) -> str:
    """Return an uptime target as a percentage the reader's way: "99.9%", "99,9 %"."""
    return format_percent(
        value / 100, format=None, locale=reader_locale(), decimal_quantization=False
    )


def time_tag(value: datetime | None, fmt: str = SHORT_TIME) -> Markup:
    """Return a <time> element carrying the ISO instant and the local rendering."""
    if value is None:
        return Markup("")
    iso = value.isoformat(timespec="seconds")
    return Markup(f'<time datetime="{escape(iso)}">{escape(local_time(value, fmt))}</time>')


def status_label(status: str) -> str:
    """Return the words for a component status."""
    try:
        return gettext(STATUS_LABELS[ComponentStatus(status)])
    except ValueError:  # "unknown": a provider's component not read ("Unknown" is a message)
        return gettext(status.replace("_", " ").capitalize())


def event_status_label(status: str) -> str:
    """Return the words for an incident's or maintenance's status: "Monitoring", "In progress"."""
    for kind in (IncidentStatus, MaintenanceStatus):
        try:
            return gettext(UPDATE_LABELS[kind(status)])
        except ValueError:
            continue
    return status.replace("_", " ").capitalize()


def impact_label(impact: str) -> str:
    """Return the words for an impact: "Major impact", "No impact", "Maintenance"."""
    return gettext(IMPACT_LABELS[impact]) if impact in IMPACT_LABELS else impact.capitalize()


def register(app: Flask) -> None:
    """Make the filters available to templates."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(time_tag, "time_tag")
    app.add_template_filter(format_day, "local_date")
    for words in (outcome_label, format_target):
        app.add_template_filter(words)
    app.add_template_filter(status_label, "status_label")
    app.add_template_filter(event_status_label, "event_status_label")
    app.add_template_filter(impact_label, "impact_label")
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(render_postmortem, "postmortem")
    app.add_template_filter(render_update, "update_html")
    app.add_template_filter(event_name, "event_name")
    for words in FILTERS:
        app.add_template_filter(words)
