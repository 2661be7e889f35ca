"""The public read API: Statuspage's /api/v2, the website's /status.json, and SVG badges."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, request

from statuspage.reads.incidents import list_incidents, maintenances, unresolved_incidents
from statuspage.reads.serializers import (
    components_json,
    incident_json,
    page_json,
    snapshot,
    status_json,
)
from statuspage.reads.summary import page_summary
from statuspage.reads.uptime import mean_uptime_over
from statuspage.rules import site_indicator
from statuspage.store.db import utcnow
from statuspage.vocabulary import ACTIVE_MAINTENANCE_STATUSES, EventKind, MaintenanceStatus
from statuspage.web import badges
from statuspage.web.caching import keyed_on

bp = Blueprint("api_v2", __name__)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
UPTIME_DAYS = 90


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


def _paged(kind: EventKind, key: str) -> Response:
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
@keyed_on("page", "per_page")
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
@keyed_on("page", "per_page")
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


@bp.get("/status.json")
def website_status() -> Response:
    """Serve the word and 90-day uptime capgo.app's website shows: {"indicator", "uptime"}."""
    site = current_app.config["STATUS"].site
    now = utcnow()
    leaves = page_summary(site, now).leaves()
    uptime = mean_uptime_over([leaf.component.id for leaf in leaves], now, site.zone, UPTIME_DAYS)
    return _json(
        {
            "indicator": site_indicator(leaf.status for leaf in leaves),
            "uptime": "N/A" if uptime is None else f"{uptime:.3f}%",
        }
    )


# The badges keep their api_v2 endpoints (api_v2.page_badge, api_v2.component_badge).
bp.add_url_rule("/badge.svg", view_func=badges.page_badge, methods=["GET"])
bp.add_url_rule("/components/<slug>/badge.svg", view_func=badges.component_badge, methods=["GET"])
