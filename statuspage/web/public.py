"""The public pages customers read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from probes import slugify
from statuspage.reads.bars import bar_legend, past_incidents, uptime_bars
from statuspage.reads.component_page import component_page
from statuspage.reads.history import history_page
from statuspage.reads.incident_page import incident_page
from statuspage.reads.summary import leaf_components, page_summary
from statuspage.reads.upstreams import reports_for, upstream_views
from statuspage.reads.uptime import UPTIME_TARGET, monthly_uptime
from statuspage.reads.uptime import uptime_csv as uptime_csv_text
from statuspage.store.db import utcnow
from statuspage.web.caching import keyed_on

bp = Blueprint("public", __name__)

# A page number beyond this is refused outright, so no query ever gets an absurd offset.
MAX_PAGE = 1_000_000


def _notice() -> str:
    """Return the markdown of the footer notice kept beside the config file."""
    path = Path(current_app.config["STATUS"].path).parent / "notice.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@bp.context_processor
def _every_page() -> dict[str, Any]:
    """Give every public page the site, the footer notice and the moment it is rendered for."""
    return {"site": current_app.config["STATUS"].site, "notice": _notice(), "now": utcnow()}


@bp.errorhandler(400)
@bp.errorhandler(404)
def _error_page(error: HTTPException) -> tuple[str, int]:
    """Answer a bad or unknown address with a page in the site's own look."""
    return render_template("error.html", error=error), error.code or 500


@bp.get("/")
def index():
    """Show the status, 90 days of bars, the services depended on and 15 days of incidents."""
    config = current_app.config["STATUS"]
    site = config.site
    now = utcnow()
    summary = page_summary(site, now)
    leaves = [leaf.component.id for leaf in summary.leaves()]
    return render_template(
        "index.html",
        summary=summary,
        bars=uptime_bars(leaves, now, site.zone),
        past=past_incidents(now, site.zone),
        bar_legend=bar_legend(),
        upstreams=upstream_views(config, now),
        now=now,
    )


@bp.get("/incidents/<code>")
def incident(code: str):
    """Show one incident or maintenance: its timeline, duration and postmortem."""
    now = utcnow()
    page = incident_page(code, now)
    if page is None:
        abort(404, "There is no incident or maintenance at this address.")
    reports = []
    if page.ongoing and not page.incident.is_maintenance:
        slugs = [affected.component.slug for affected in page.incident.affected]
        reports = reports_for(slugs, current_app.config["STATUS"], now)
    return render_template("incident.html", page=page, now=now, upstream_reports=reports)


@bp.get("/history", defaults={"number": 1})
@bp.get("/history/<int:number>")
@keyed_on("page")
def history(number: int):
    """Show every incident and maintenance ever, newest first, a page at a time.

    Pages are paths (/history/2), so the published site can hold them as files; the older
    /history?page=2 answers with a permanent redirect there.
    """
    if "page" in request.args:
        raw = request.args["page"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or int(raw) < 1:
            abort(400, "The page number must be a whole number from 1.")
        return redirect(url_for("public.history", number=int(raw)), 301)
    # A well-formed page past the end gets a 404; one past any history, a 400.
    if not 1 <= number <= MAX_PAGE:
        abort(400, "The page number must be a whole number from 1.")
    page = history_page(number, current_app.config["STATUS"].site.zone)
    if number > page.pages:
        abort(404, f"The history has {page.pages} page{'s' if page.pages != 1 else ''}.")
    return render_template("history.html", page=page)


@bp.get("/components/<slug>")
def component(slug: str):
    """Show one component: its status, probes' latest results, response times and uptime."""
    now = utcnow()
    page = component_page(slug, current_app.config["STATUS"], now)
    if page is None:
        abort(404, "There is no component at this address.")
    return render_template("component.html", page=page, now=now, target=UPTIME_TARGET)


def _monthly_uptime():
    """Return the leaf components and their figures for the last 12 months."""
    components = leaf_components()
    zone = current_app.config["STATUS"].site.zone
    return components, monthly_uptime([c.id for c in components], utcnow(), zone)


@bp.get("/uptime")
def uptime():
    """Show each component's availability per month against the target."""
    components, figures = _monthly_uptime()
    return render_template(
        "uptime.html",
        components=components,
        figures=figures,
        target=UPTIME_TARGET,
    )


@bp.get("/uptime.csv")
def uptime_csv():
    """Return the monthly availability as CSV, for customers filing SLA claims."""
    components, figures = _monthly_uptime()
    site = current_app.config["STATUS"].site
    filename = f"{slugify(site.name) or 'status'}-uptime.csv"
    return Response(
        uptime_csv_text(components, figures),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
