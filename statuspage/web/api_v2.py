"""The public read API: Statuspage's /api/v2, the website's /status.json, and SVG badges."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request
from markupsafe import escape

from statuspage.reads.incidents import list_incidents, maintenances, unresolved_incidents
from statuspage.reads.presenters import ComponentView, PageSummary, page_summary
from statuspage.reads.serializers import (
    components_json,
    incident_json,
    page_json,
    snapshot,
    status_json,
)
from statuspage.reads.uptime import day_figures
from statuspage.rules import combine_days, mean_uptime, site_indicator
from statuspage.rules.uptime import GREEN, ORANGE, RED, YELLOW
from statuspage.store.db import utcnow
from statuspage.vocabulary import (
    ACTIVE_MAINTENANCE_STATUSES,
    STATUS_LABELS,
    ComponentStatus,
    EventKind,
    Indicator,
    MaintenanceStatus,
)

bp = Blueprint("api_v2", __name__)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
UPTIME_DAYS = 90
BLUE = "#3498db"
GREY = "#9f9f9f"
STATUS_COLOURS = {
    ComponentStatus.OPERATIONAL: GREEN,
    ComponentStatus.DEGRADED_PERFORMANCE: YELLOW,
    ComponentStatus.PARTIAL_OUTAGE: ORANGE,
    ComponentStatus.MAJOR_OUTAGE: RED,
    ComponentStatus.UNDER_MAINTENANCE: BLUE,
}
INDICATOR_COLOURS = {
    Indicator.NONE: GREEN,
    Indicator.MINOR: YELLOW,
    Indicator.MAJOR: ORANGE,
    Indicator.CRITICAL: RED,
    Indicator.MAINTENANCE: BLUE,
}


class BadParameter(Exception):
    """A query parameter the API cannot use; answered 400 with a message naming it."""


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter) -> Response:
    """Answer a bad query parameter with a JSON error instead of a failure."""
    return _json({"error": "invalid_parameter", "message": str(error)}, status=400)


@bp.after_request
def allow_any_origin(response: Response) -> Response:
    """Let any website read these public responses from the browser."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return JSON with keys in the reference's order (Flask's jsonify would sort them)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers)


def _whole_number(name: str, default: int, maximum: int) -> int:
    """Return a whole-number query parameter from 1 to maximum, or raise BadParameter naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else 0
    if not 1 <= value <= maximum:
        raise BadParameter(f"{name} must be a whole number from 1 to {maximum}, got {raw[:50]!r}")
    return value


def _paged(kind: str, key: str) -> Response:
    """Return one page of incidents or maintenances; the total is in X-Total-Count."""
    page = _whole_number("page", 1, MAX_PAGE)
    per_page = _whole_number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    snap = snapshot()
    rows, total = list_incidents(kind=kind, page=page, per_page=per_page)
    payload = {"page": page_json(snap), key: [incident_json(row, snap) for row in rows]}
    return _json(payload, headers={"X-Total-Count": str(total)})


def _maintenance_list(statuses: tuple[MaintenanceStatus, ...]) -> Response:
    snap = snapshot()
    rows = maintenances(snap.now, statuses)
    return _json(
        {
            "page": page_json(snap),
            "scheduled_maintenances": [incident_json(row, snap) for row, _ in rows],
        }
    )


@bp.get("/api/v2/summary.json")
def summary() -> Response:
    """Serve components, unresolved incidents, upcoming and active maintenance, the status."""
    snap = snapshot()
    views = snap.summary.active_maintenances + snap.summary.upcoming_maintenances
    return _json(
        {
            "page": page_json(snap),
            "components": components_json(snap),
            "incidents": [incident_json(i, snap) for i in snap.summary.incidents],
            "scheduled_maintenances": [incident_json(v.maintenance, snap) for v in views],
            "status": status_json(snap),
        }
    )


@bp.get("/api/v2/status.json")
def status() -> Response:
    """Serve the page's rollup status."""
    snap = snapshot()
    return _json({"page": page_json(snap), "status": status_json(snap)})


@bp.get("/api/v2/components.json")
def components() -> Response:
    """Serve every component and group."""
    snap = snapshot()
    return _json({"page": page_json(snap), "components": components_json(snap)})


@bp.get("/api/v2/incidents.json")
def incidents() -> Response:
    """Serve the newest incidents, resolved included; ?page= and ?per_page= reach the rest."""
    return _paged(EventKind.INCIDENT, "incidents")


@bp.get("/api/v2/incidents/unresolved.json")
def unresolved() -> Response:
    """Serve incidents still investigating, identified or monitoring."""
    snap = snapshot()
    rows = unresolved_incidents()
    return _json({"page": page_json(snap), "incidents": [incident_json(i, snap) for i in rows]})


@bp.get("/api/v2/scheduled-maintenances.json")
def scheduled_maintenances() -> Response:
    """Serve the newest maintenances; ?page= and ?per_page= reach the rest."""
    return _paged(EventKind.MAINTENANCE, "scheduled_maintenances")


@bp.get("/api/v2/scheduled-maintenances/upcoming.json")
def upcoming_maintenances() -> Response:
    """Serve maintenances that have not started."""
    return _maintenance_list((MaintenanceStatus.SCHEDULED,))


@bp.get("/api/v2/scheduled-maintenances/active.json")
def active_maintenances() -> Response:
    """Serve maintenances in progress or being verified."""
    return _maintenance_list(ACTIVE_MAINTENANCE_STATUSES)


def _leaves(summary: PageSummary) -> list[ComponentView]:
    """Return the shown leaf components (groups replaced by their members)."""
    return [leaf for view in summary.components for leaf in (view.children or [view])]


@bp.get("/status.json")
def website_status() -> Response:
    """Serve the word and 90-day uptime capgo.app's website shows: {"indicator", "uptime"}."""
    site = current_app.config["STATUS"].site
    now = utcnow()
    leaves = _leaves(page_summary(site, now))
    today = now.astimezone(site.zone).date()
    figures = day_figures(
        [leaf.component.id for leaf in leaves], today - timedelta(days=UPTIME_DAYS - 1), today
    )
    uptime = mean_uptime(combine_days(days).uptime for days in figures.values())
    return _json(
        {
            "indicator": site_indicator(leaf.status for leaf in leaves),
            "uptime": "N/A" if uptime is None else f"{uptime:.3f}%",
        }
    )


@bp.get("/badge.svg")
def page_badge() -> Response:
    """Serve a badge with the page's banner, coloured by its indicator."""
    site = current_app.config["STATUS"].site
    summary = page_summary(site, utcnow())
    return _badge(site.name, summary.description, INDICATOR_COLOURS[Indicator(summary.indicator)])


@bp.get("/components/<slug>/badge.svg")
def component_badge(slug: str) -> Response:
    """Serve a badge with one component's status in words."""
    summary = page_summary(current_app.config["STATUS"].site, utcnow())
    views = [shown for view in summary.components for shown in (view, *view.children)]
    view = next((v for v in views if v.component.slug == slug), None)
    if view is None:
        return _badge("status", "unknown component", GREY, status=404)
    return _badge(view.component.name, STATUS_LABELS[view.status], STATUS_COLOURS[view.status])


def _text_width(text: str) -> int:
    """Estimate text width in pixels at 11px Verdana (good enough for a badge)."""
    narrow = sum(1 for char in text if char in "fijlrt.,:;|!'() ")
    wide = sum(1 for char in text if char in "mwMW@%")
    return round(7 * (len(text) - narrow - wide) + 4 * narrow + 10 * wide)


def badge_svg(label: str, message: str, colour: str) -> str:
    """Return a shields.io-style flat badge; the texts are XML-escaped."""
    left, right = _text_width(label) + 10, _text_width(message) + 10
    width = left + right
    label_xml, message_xml = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label_xml}: {message_xml}"><title>{label_xml}: {message_xml}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="15" fill="#010101" fill-opacity=".3">{label_xml}</text>'
        f'<text x="{left / 2}" y="14">{label_xml}</text>'
        f'<text x="{left + right / 2}" y="15" fill="#010101" fill-opacity=".3">{message_xml}</text>'
        f'<text x="{left + right / 2}" y="14">{message_xml}</text></g></svg>'
    )


def _badge(label: str, message: str, colour: str, status: int = 200) -> Response:
    response = Response(badge_svg(label, message, colour), status=status)
    response.content_type = "image/svg+xml; charset=utf-8"
    # Badges are embedded in READMEs behind image proxies: keep them short-lived.
    response.headers["Cache-Control"] = "max-age=60"
    return response
