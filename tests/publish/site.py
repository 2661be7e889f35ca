"""Helpers for the publishing tests: a site with history worth publishing, and a link crawler.

Holds no tests itself (pytest collects only test_* modules).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from flask import Flask

from statuspage import staff
from statuspage.publish import DYNAMIC_PREFIXES
from statuspage.store.db import utcnow
from statuspage.store.db import utcnow as db_utcnow

STAFF = staff.Actor("alice@capgo.app")


def seed_site(app: Flask, past_incidents: int = 30) -> None:
    """Write, as staff would, enough for every kind of page and a second history page."""
    config = app.config["STATUS"]
    now = utcnow()
    with app.app_context():
        for n in range(past_incidents):
            start = now - timedelta(days=2 * n + 1)
            staff.create_incident(
                STAFF,
                config,
                now,
                name=f"Past incident {n}",
                status="resolved",
                body=f"It was *fixed* ({n}).",
                components={"analytics": "partial_outage"},
                started_at=start.isoformat(),
                resolved_at=(start + timedelta(hours=1)).isoformat(),
            )
        staff.create_incident(
            STAFF,
            config,
            now,
            name="Update checks slow <b>now</b>",
            status="investigating",
            body="Looking into it.",
            components={"live-updates": "degraded_performance"},
        )
        staff.schedule_maintenance(
            STAFF,
            config,
            now,
            name="Database upgrade",
            body="A short pause.",
            scheduled_for=(now + timedelta(days=2)).isoformat(),
            scheduled_until=(now + timedelta(days=2, hours=1)).isoformat(),
            components=["app-management"],
        )


def freeze_clock(monkeypatch, moment: datetime) -> None:
    """Make every statuspage module that reads the clock through utcnow() see `moment`."""
    for name, module in list(sys.modules.items()):
        if name.startswith("statuspage") and getattr(module, "utcnow", None) is db_utcnow:
            monkeypatch.setattr(module, "utcnow", lambda: moment)


class PinnedBucket:
    """Stands in for the `time` module of the response cache: its 30 s bucket never turns.

    So two renders in one test are of the same moment, and a page unchanged by any write is
    served from the cache with the very bytes published before.
    """

    def __init__(self) -> None:
        self.at = time.time()

    def time(self) -> float:
        return self.at

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    """Return every href and src of a page, as written."""
    parser = _Links()
    parser.feed(html)
    return parser.links


def crawl(
    root: Path, site_url: str, is_dynamic: Callable[[str], bool] | None = None
) -> tuple[set[str], list[tuple[str, str]]]:
    """Follow every link from /index.html inside the tree; return the pages seen and the broken.

    A link to another host or scheme (webcal:, mailto:, a link in a note) is not the tree's.
    A link under DYNAMIC_PREFIXES is answered by the app behind nginx: `is_dynamic(url)` must
    say it is served, else it counts as broken. Any other link must be a file of the tree
    (PATH, or PATH/index.html), and carry no query string, which a file cannot answer.
    """
    site = urlsplit(site_url)
    seen: set[str] = set()
    broken: list[tuple[str, str]] = []
    queue = ["/index.html"]
    while queue:
        page = queue.pop()
        if page in seen:
            continue
        seen.add(page)
        html = (root / page.lstrip("/")).read_text(encoding="utf-8")
        for link in links_of(html):
            target = urlsplit(urljoin(f"{site.scheme}://{site.netloc}{page}", link))
            if (target.scheme, target.netloc) != (site.scheme, site.netloc):
                continue
            path = target.path
            if path.startswith(DYNAMIC_PREFIXES):
                if is_dynamic is None or not is_dynamic(
                    path + ("?" + target.query if target.query else "")
                ):
                    broken.append((page, link))
                continue
            file = root / path.lstrip("/")
            if file.is_dir() or not file.suffix:
                file = file / "index.html"
            if target.query or not file.is_file():
                broken.append((page, link))
            elif file.suffix == ".html":
                queue.append("/" + file.relative_to(root).as_posix())
    return seen, broken
