"""Render markdown written by people into HTML that is safe to show anyone."""

from __future__ import annotations

import functools

import markdown as markdown_lib
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
    "a",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@functools.lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Render markdown, sanitize the HTML with an allow-list, and mark the result safe.

    Memoised on the text: updates are re-read on every feed and page, but an edit is new text.
    """
    html = markdown_lib.markdown(text or "", output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - nh3 has just sanitized it
