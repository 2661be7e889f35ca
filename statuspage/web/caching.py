"""Public responses: rendered once per change, validated by ETag, and safe headers everywhere.

A status page is read hardest exactly when the things it watches fail, so every public GET
is served from an in-process cache keyed on the site's version (a counter every write bumps,
whichever process made it, read at most once a second per process) and a 30-second time
bucket (pages show time-driven things such as maintenance windows and relative times). A
request then costs at most one small query and a dictionary lookup. When the database
cannot be reached, the last good rendering is served.

The key holds only what changes the body: the path, and the query parameters the route
declares (`keyed_on`); `/?utm_source=<random>` is the page `/`, found in the dictionary. A
change is rendered once per process: while one request renders a path, the others are
served its previous rendering (marked stale), or wait for it when there is none.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from statuspage.observe.site import cache_hit, cache_miss
from statuspage.store.db import db
from statuspage.store.site_state import site_version

log = logging.getLogger(__name__)

CACHED_BLUEPRINTS = {"public", "feeds", "api_v2"}
CACHED_BLUEPRINTS.add("calendar")  # /maintenance.ics
BUCKET_SECONDS = 30
MAX_ENTRIES = 512
# How long a request waits for another's rendering of the same page when none is older.
RENDER_WAIT_SECONDS = 10.0
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"
SECURITY_HEADERS = {
    # No script at all, and nothing from elsewhere: the pages need neither.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Rendered:
    """A response as first rendered, ready to serve again."""

    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    etag: str
    last_modified: datetime | None


class ResponseCache:
    """A bounded LRU of rendered responses, keyed by path, version and time bucket."""

    def __init__(self, max_entries: int = MAX_ENTRIES, version_ttl: float = 0.0) -> None:
        self.max_entries = max_entries
        self.version_ttl = version_ttl
        self._version: tuple[int, datetime | None] | None = None
        self._version_read_at = float("-inf")
        self._entries: OrderedDict[tuple[str, int, int], Rendered] = OrderedDict()
        # The newest good rendering of each path, kept for when the database is down.
        self._last_good: OrderedDict[str, Rendered] = OrderedDict()
        # The keys being rendered now, each with the event its renderer sets when done.
        self._rendering: dict[tuple[str, int, int], threading.Event] = {}
        self._lock = threading.Lock()

    def version(self) -> tuple[int, datetime | None]:
        """Return the site's version, read from the database at most once per version_ttl.

        Under a spike the version query is most of a cached request's cost (and, on SQLite,
        hands the GIL back and forth); a write then shows at most version_ttl seconds later,
        well inside the 30 seconds that clients may cache anyway.
        """
        now = time.monotonic()
        with self._lock:
            if self._version is not None and now - self._version_read_at < self.version_ttl:
                return self._version
        value = site_version()  # a database error reaches the caller's last-good fallback
        with self._lock:
            self._version, self._version_read_at = value, now
        return value

    def expire_version(self) -> None:
        """Make the next request read the version from the database (the publisher's renders)."""
        with self._lock:
            self._version_read_at = float("-inf")

    def get(self, key: tuple[str, int, int]) -> Rendered | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def last_good(self, path: str) -> Rendered | None:
        with self._lock:
            return self._last_good.get(path)

    def put(self, key: tuple[str, int, int], entry: Rendered) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            self._last_good[key[0]] = entry
            self._last_good.move_to_end(key[0])
            for store in (self._entries, self._last_good):
                while len(store) > self.max_entries:
                    store.popitem(last=False)

    def begin_render(self, key: tuple[str, int, int]) -> threading.Event | None:
        """Claim the rendering of a key; None when another request renders it already."""
        with self._lock:
            if key in self._rendering:
                return None
            event = self._rendering[key] = threading.Event()
            return event

    def end_render(self, key: tuple[str, int, int]) -> None:
        """Let the requests waiting for this key's rendering look again."""
        with self._lock:
            event = self._rendering.pop(key, None)
        if event is not None:
            event.set()

    def wait_render(self, key: tuple[str, int, int], timeout: float) -> None:
        """Wait until another request's rendering of this key is done (or the timeout)."""
        with self._lock:
            event = self._rendering.get(key)
        if event is not None:
            event.wait(timeout)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._last_good.clear()
            self._version = None


def keyed_on(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the query parameters that change a route's body (and so its cache key)."""

    def declare(view: Callable[..., Any]) -> Callable[..., Any]:
        view.cache_parameters = tuple(sorted(names))  # type: ignore[attr-defined]
        return view

    return declare


def cache_path() -> str:
    """Return the request as the cache knows it: its path and the parameters its route reads."""
    view = current_app.view_functions.get(request.endpoint or "")
    names = getattr(view, "cache_parameters", ())
    values = [(name, request.args[name]) for name in names if name in request.args]
    return request.path + (f"?{urlencode(values)}" if values else "")


def _cacheable() -> bool:
    return request.method in ("GET", "HEAD") and request.blueprint in CACHED_BLUEPRINTS


STALE_BECAUSE = {
    "database": '110 - "Response is stale: the database is unreachable"',
    "rendering": '110 - "Response is stale: a newer one is being rendered"',
}


def _serve(entry: Rendered, stale: str | None = None) -> Response:
    response = Response(entry.body, status=entry.status, headers=list(entry.headers))
    response.set_etag(entry.etag)
    if entry.last_modified is not None:
        response.last_modified = entry.last_modified
    if stale:
        response.headers["Warning"] = STALE_BECAUSE[stale]
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Serve public GETs from the cache, and add the headers every response needs."""
    # Tests check that a write shows at once, so they read the version every time.
    ttl = float(app.config.get("RESPONSE_CACHE_VERSION_TTL", 0.0 if app.testing else 1.0))
    cache = ResponseCache(version_ttl=ttl)
    app.extensions["response_cache"] = cache

    @app.before_request
    def serve_from_cache() -> Response | None:
        if not _cacheable():
            return None
        path = cache_path()
        try:
            version, changed_at = cache.version()
        except SQLAlchemyError as error:
            db.session.rollback()
            entry = cache.last_good(path)
            if entry is None:
                raise  # nothing to fall back on: the error page it is
            log.warning(
                "database unreachable (%s): serving the last good %s",
                error.__class__.__name__,
                path,
            )
            return _serve(entry, stale="database")
        key = (path, version, int(time.time() // BUCKET_SECONDS))
        entry = cache.get(key)
        if entry is not None:
            cache_hit()
            return _serve(entry)
        if cache.begin_render(key) is None:
            # Another request renders this change: serve the one before it, or wait for it.
            previous = cache.last_good(path)
            if previous is not None:
                cache_hit()
                return _serve(previous, stale="rendering")
            cache.wait_render(key, RENDER_WAIT_SECONDS)
            entry = cache.get(key)
            if entry is not None:
                cache_hit()
                return _serve(entry)
        else:
            g.rendering = key
        cache_miss()
        g.cache_key, g.changed_at = key, changed_at  # a miss: store what the view renders
        return None

    @app.teardown_request
    def end_rendering(error: BaseException | None) -> None:
        key = g.pop("rendering", None)
        if key is not None:
            cache.end_render(key)

    @app.after_request
    def store_and_protect(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        key = g.pop("cache_key", None)
        if key is None or response.status_code != 200 or response.direct_passthrough:
            return response
        response.headers["Cache-Control"] = CACHE_CONTROL
        body = response.get_data()
        entry = Rendered(
            body=body,
            status=response.status_code,
            headers=tuple(
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in ("content-length", "etag", "last-modified")
            ),
            etag=hashlib.sha256(body).hexdigest()[:32],
            last_modified=g.pop("changed_at", None),
        )
        cache.put(key, entry)
        return _serve(entry)
