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
from flask_babel import gettext, ngettext
from werkzeug.exceptions import HTTPException

from probes import slugify
from statuspage.reads.bars import bar_legend, day_table, past_incidents, uptime_bars
from statuspage.reads.component_page import component_page
from statuspage.reads.history import history_page
from statuspage.reads.incident_page import incident_page
from statuspage.reads.status import shown_component, visible_components
from statuspage.reads.summary import current_indicator, leaf_components, page_summary
from statuspage.reads.system_text import system_words
from statuspage.reads.upstreams import reports_for, upstream_views
from statuspage.reads.uptime import UPTIME_TARGET, monthly_uptime
from statuspage.reads.uptime import uptime_csv as uptime_csv_text
from statuspage.store.db import utcnow
from statuspage.store.models import Component
from statuspage.vocabulary import N_
from statuspage.web.caching import keyed_on

bp = Blueprint("public", __name__)

# A page number beyond this is refused outright, so no query ever gets an absurd offset.
MAX_PAGE = 1_000_000
# The home, incident and component pages reload themselves this often (a meta refresh: the
# CSP allows no script). Responses are cached for 30 s, so a reload never sees older news
# than that; each of those pages links to a copy that does not refresh (WCAG 2.2.1).
REFRESH_SECONDS = 60


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
    return {
        "site": current_app.config["STATUS"].site,
        "notice": _notice(),
        "now": utcnow(),
        "refresh_interval": REFRESH_SECONDS,
    }


@bp.app_template_global()
def page_indicator() -> str:
    """Return the page indicator now, for the favicon of a page that has no summary at hand.

    A global rather than this blueprint's context: other blueprints' pages (the subscribe
    pages) extend the same base template.
    """
    return current_indicator(utcnow())


# The names of the errors the public pages answer with, as Werkzeug gives them, to translate.
ERROR_NAMES = (N_("Bad Request"), N_("Not Found"))


@bp.errorhandler(400)
@bp.errorhandler(404)
def _error_page(error: HTTPException) -> tuple[str, int]:
    """Answer a bad or unknown address with a page in the site's own look."""
    return render_template("error.html", error=error), error.code or 500


@bp.get("/")
def index():
    """Show the status, 90 days of bars, the services depended on and 15 days of incidents."""
    return _index(still=False)


@bp.get("/no-refresh")
def index_still():
    """Show the home page in a copy that does not refresh itself."""
    return _index(still=True)


def _index(still: bool) -> str:
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
        refresh=None if still else REFRESH_SECONDS,
        still=still,
        indicator=summary.indicator,
    )


@bp.get("/incidents/<code>")
def incident(code: str):
    """Show one incident or maintenance: its timeline, duration and postmortem."""
    return _incident(code, still=False)


@bp.get("/incidents/<code>/no-refresh")
def incident_still(code: str):
    """Show an incident's page in a copy that does not refresh itself."""
    return _incident(code, still=True)


def _incident(code: str, still: bool) -> str:
    now = utcnow()
    page = incident_page(code, now)
    if page is None:
        abort(404, gettext("There is no incident or maintenance at this address."))
    reports = []
    if page.ongoing and not page.incident.is_maintenance:
        slugs = [affected.component.slug for affected in page.incident.affected]
        reports = reports_for(slugs, current_app.config["STATUS"], now, system_words())
    # An event that is over has nothing left to refresh for but a postmortem, read at length.
    refresh = None if still or page.over else REFRESH_SECONDS
    return render_template(
        "incident.html", page=page, now=now, refresh=refresh, still=still, upstream_reports=reports
    )


@bp.get("/history", defaults={"number": 1})
@bp.get("/history/<int:number>")
@keyed_on("page")
def history(number: int):
    """Show every incident and maintenance ever, newest first, a page at a time.

    Pages are paths (/history/2), so the published site can hold them as files; the older
    /history?page=2 answers with a permanent redirect there.
    """
    return _history(None, number)


@bp.get("/components/<slug>/history", defaults={"number": 1})
@bp.get("/components/<slug>/history/<int:number>")
@keyed_on("page")
def component_history(slug: str, number: int):
    """Show the incidents and maintenances that affected one component (or group), paged
    like the whole history (/components/<slug>/history/2)."""
    component = shown_component(slug, groups=True)
    if component is None:
        abort(404, gettext("There is no component at this address."))
    return _history(component, number)


def _history(component: Component | None, number: int) -> Any:
    if "page" in request.args:
        raw = request.args["page"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or int(raw) < 1:
            abort(400, gettext("The page number must be a whole number from 1."))
        where = {"slug": component.slug} if component else {}
        return redirect(url_for(request.endpoint or "", number=int(raw), **where), 301)
    # A well-formed page past the end gets a 404; one past any history, a 400.
    if not 1 <= number <= MAX_PAGE:
        abort(400, gettext("The page number must be a whole number from 1."))
    page = history_page(number, current_app.config["STATUS"].site.zone, component=component)
    if number > page.pages:
        abort(
            404,
            ngettext("The history has %(num)d page.", "The history has %(num)d pages.", page.pages),
        )
    return render_template("history.html", page=page, components=visible_components())


@bp.get("/components/<slug>")
def component(slug: str):
    """Show one component: its status, probes' latest results, response times and uptime."""
    return _component(slug, still=False)


@bp.get("/components/<slug>/no-refresh")
def component_still(slug: str):
    """Show a component's page in a copy that does not refresh itself."""
    return _component(slug, still=True)


def _component(slug: str, still: bool) -> str:
    now = utcnow()
    page = component_page(slug, current_app.config["STATUS"], now)
    if page is None:
        abort(404, gettext("There is no component at this address."))
    return render_template(
        "component.html",
        page=page,
        now=now,
        target=UPTIME_TARGET,
        refresh=None if still else REFRESH_SECONDS,
        still=still,
    )


@bp.get("/components/<slug>/days")
def component_days(slug: str):
    """Show the figures behind a component's daily bars: a table of its last 90 days."""
    site = current_app.config["STATUS"].site
    table = day_table(slug, utcnow(), site.zone)
    if table is None:
        abort(404, gettext("There is no component at this address."))
    return render_template("days.html", table=table)


@bp.get("/favicon-<any(none, minor, major, critical, maintenance):indicator>.svg")
def favicon(indicator: str) -> Response:
    """Serve the icon of one page indicator: each page links the one of the status now."""
    return Response(render_template("favicon.svg", indicator=indicator), mimetype="image/svg+xml")


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
