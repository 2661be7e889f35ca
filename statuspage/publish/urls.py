"""Every public URL the site answers, and where each lives in the published tree.

The URLs come from the app's own routes: every GET route of the cached blueprints (the
public pages, feeds, `/api/v2`, badges, calendars) with each of its arguments filled from
the database (component slugs, incident codes, history page numbers) or from the route
itself (`history.<any(atom, rss, json)>`), and every file of the static folder. A route
added to those blueprints is published without a change here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

from statuspage.reads.history import HISTORY_PER_PAGE
from statuspage.reads.incidents import incident_codes
from statuspage.reads.status import visible_components
from statuspage.web.caching import CACHED_BLUEPRINTS

# What only the app can answer (forms, sign-in, the write API, health and metrics, answers
# that depend on a query string): links to these are not files, and deploy/nginx.conf
# passes them to gunicorn.
DYNAMIC_PREFIXES = (
    "/admin",
    "/api/v1",
    "/subscribe",
    "/unsubscribe",
    "/healthz",
    "/metrics",
)


def file_path(url: str) -> PurePosixPath:
    """Return where a URL's response is kept: a path without an extension is a folder."""
    path = PurePosixPath(url.lstrip("/") or ".")
    if url.endswith("/") or not path.suffix:
        return path / "index.html"
    return path


def public_urls(app: Flask) -> list[str]:
    """Return every public URL to publish, in the order the routes are declared."""
    values = _argument_values()
    adapter = app.url_map.bind("localhost")
    urls: dict[str, None] = {}
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint not in CACHED_BLUEPRINTS or "GET" not in (rule.methods or ()):
            continue
        for arguments in _fillings(rule, values):
            # Building through the adapter picks the canonical URL (/history, not /history/1).
            urls.setdefault(adapter.build(rule.endpoint, arguments), None)
    static = Path(app.static_folder or "")
    for file in sorted(p for p in static.rglob("*") if p.is_file()):
        url = adapter.build("static", {"filename": file.relative_to(static).as_posix()})
        urls.setdefault(url, None)
    return list(urls)


def _argument_values() -> dict[str, list[str | int]]:
    """Return the values each route argument takes on the public site, read from the database."""
    codes = incident_codes()
    pages = max(1, math.ceil(len(codes) / HISTORY_PER_PAGE))
    return {
        "slug": [component.slug for component in visible_components()],
        "code": list(codes),
        "number": list(range(1, pages + 1)),
    }


def _fillings(rule: Rule, values: dict[str, list[str | int]]) -> Iterator[dict[str, str | int]]:
    """Yield every assignment of the rule's arguments (one, empty, for a rule without any)."""
    names = sorted(rule.arguments - set(rule.defaults or {}))
    choices: list[list[str | int]] = []
    for name in names:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            choices.append(sorted(converter.items))
        elif name in values:
            choices.append(values[name])
        else:
            raise LookupError(
                f"the route {rule.rule} takes {name!r}, which the publisher cannot fill"
            )
    for combination in itertools.product(*choices):
        yield dict(zip(names, combination, strict=True))
