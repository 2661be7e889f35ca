"""Render what people and the system write into HTML that is safe to show anyone.

People write markdown, sanitized after rendering. The system's own text (automatic incident
updates, maintenance moves) quotes what probes observed, and an observed value is data: it is
shown as text, so no answer of a probed server can put a link or emphasis on the page.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Protocol

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
# A postmortem is a document with sections; it sits under the page's own h1 and its
# "Postmortem" h2, so its headings go from h2 to h4 (a "#" heading is shown as plain text).
POSTMORTEM_TAGS = ALLOWED_TAGS | {"h2", "h3", "h4"}


@functools.lru_cache(maxsize=4096)
def render_markdown(text: str, tags: frozenset[str] = frozenset(ALLOWED_TAGS)) -> Markup:
    """Render markdown, sanitize the HTML with an allow-list, and mark the result safe.

    Memoised on the text: updates are re-read on every feed and page, but an edit is new text.
    """
    html = markdown_lib.markdown(text or "", output_format="html")
    clean = nh3.clean(
        html,
        tags=set(tags),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - nh3 has just sanitized it


def render_postmortem(text: str) -> Markup:
    """Render a postmortem like any markdown, with section headings h2 to h4 allowed too."""
    return render_markdown(text, frozenset(POSTMORTEM_TAGS))


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class Written(Protocol):
    """Something with a text and an author (None: the system wrote it)."""

    body: str
    author: str | None


def render_text(text: str) -> Markup:
    """Render plain text as escaped paragraphs, split where a blank line is."""
    paragraphs = [part.strip() for part in _PARAGRAPH_BREAK.split(text.strip()) if part.strip()]
    return Markup("\n".join(f"<p>{html.escape(part, quote=False)}</p>" for part in paragraphs))


def render_update(update: Written) -> Markup:
    """Render an update: a person's text as markdown, the system's as plain text."""
    if update.author is None:
        return render_text(update.body)
    return render_markdown(update.body)
