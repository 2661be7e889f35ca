"""Check that person-written text came out of a page as text, never as live markup."""

from __future__ import annotations

from html.parser import HTMLParser

# Our own templates draw SVG; what makes SVG dangerous (on* handlers, script) is checked.
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "form", "base"}


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS and tag not in self.allowed:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if (
                name in ("href", "src", "action")
                and value
                and value.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")


def live_markup(html: str, allowed: set[str] = frozenset()) -> list[str]:
    """Return the dangerous elements and attributes a page really contains (not as text)."""
    finder = _Finder()
    finder.allowed = set(allowed)
    finder.feed(html)
    return finder.problems


def component_status(page: str, name: str) -> str | None:
    """Return the status class shown beside a component's name on the home page."""
    import re

    found = re.search(
        rf">{re.escape(name)}</(?:a|span)>\s*<span class=\"status status-(\w+)\"", page
    )
    return found.group(1) if found else None
