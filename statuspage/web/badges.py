"""SVG status badges for READMEs: the page's banner, or one component's status in words.

The routes stay on the api_v2 blueprint (its endpoints, CORS headers and response cache).
"""

from __future__ import annotations

from flask import Response, current_app
from markupsafe import escape

from statuspage.reads.summary import page_summary
from statuspage.rules.uptime import GREEN, ORANGE, RED, YELLOW
from statuspage.store.db import utcnow
from statuspage.vocabulary import STATUS_LABELS, ComponentStatus, Indicator

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


def page_badge() -> Response:
    """Serve a badge with the page's banner, coloured by its indicator."""
    site = current_app.config["STATUS"].site
    summary = page_summary(site, utcnow())
    return _badge(site.name, summary.description, INDICATOR_COLOURS[Indicator(summary.indicator)])


def component_badge(slug: str) -> Response:
    """Serve a badge with one component's status in words."""
    summary = page_summary(current_app.config["STATUS"].site, utcnow())
    view = summary.view_of(slug)
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
