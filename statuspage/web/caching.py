"""Public responses: rendered once per change, validated by ETag, and safe headers everywhere.

A status page is read hardest exactly when the things it watches fail, so every public GET
is served from an in-process cache keyed on the site's version (a counter every write bumps,
whichever process made it, read at most once a second per process) and a 30-second time
bucket (pages show time-driven things such as maintenance windows and relative times). A
request then costs at most one small query and a dictionary lookup. When the database
cannot be reached, the last good rendering is served.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, g, request
from sqlalchemy.exc import SQLAlchemyError

from statuspage.observe.site import cache_hit, cache_miss
from statuspage.store.db import db
from statuspage.store.site_state import site_version

log = logging.getLogger(__name__)

CACHED_BLUEPRINTS = {"public", "feeds", "api_v2"}
CACHED_BLUEPRINTS.add("calendar")  # /maintenance.ics
BUCKET_SECONDS = 30
MAX_ENTRIES = 512
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

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._last_good.clear()
            self._version = None


def _cacheable() -> bool:
    return request.method in ("GET", "HEAD") and request.blueprint in CACHED_BLUEPRINTS


def _serve(entry: Rendered, stale: bool = False) -> Response:
    response = Response(entry.body, status=entry.status, headers=list(entry.headers))
    response.set_etag(entry.etag)
    if entry.last_modified is not None:
        response.last_modified = entry.last_modified
    if stale:
        response.headers["Warning"] = '110 - "Response is stale: the database is unreachable"'
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
        path = request.full_path
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
            return _serve(entry, stale=True)
        key = (path, version, int(time.time() // BUCKET_SECONDS))
        entry = cache.get(key)
        if entry is not None:
            cache_hit()
            return _serve(entry)
        cache_miss()
        g.cache_key, g.changed_at = key, changed_at  # a miss: store what the view renders
        return None

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
