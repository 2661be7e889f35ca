"""Public responses: ETags, 304s, one small query per cached read, invalidation, fallbacks."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text

from statuspage import staff
from statuspage.store.db import db, utcnow
from statuspage.web import caching
from tests.factories import statements_run
from tests.inert import component_status

PUBLIC = ["/", "/api/v2/summary.json", "/history.atom", "/history.rss", "/status.json", "/uptime"]


@pytest.fixture(autouse=True)
def one_time_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the cache's 30-second time bucket from turning between a test's requests.

    A turn renders the page again (more queries, maybe another ETag) whatever the version,
    which is what these tests are about; a slow machine would meet one now and then.
    """
    monkeypatch.setattr(caching, "BUCKET_SECONDS", math.inf)


@pytest.mark.parametrize("path", PUBLIC)
def test_conditional_get_answers_304(client, path) -> None:
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=30, stale-while-revalidate=60"
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_last_modified_follows_the_last_write(app, client) -> None:
    with app.app_context():
        staff.set_component_status(
            staff.Actor("alice"), app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    response = client.get("/")
    assert "Last-Modified" in response.headers
    since = response.headers["Last-Modified"]
    assert client.get("/", headers={"If-Modified-Since": since}).status_code == 304


@pytest.mark.parametrize("path", ["/", "/api/v2/summary.json", "/admin/sign-in", "/healthz"])
def test_security_headers_everywhere(client, path) -> None:
    headers = client.get(path).headers
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none' covers it
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_cached_read_costs_one_small_query(app, client) -> None:
    client.get("/")  # renders and stores
    with statements_run(app) as statements:
        assert client.get("/").status_code == 200
    assert len(statements) == 1 and "site_state" in statements[0]


def test_a_write_invalidates_the_cache(app, client) -> None:
    assert component_status(client.get("/").get_data(as_text=True), "Analytics") == "operational"
    with app.app_context():
        staff.set_component_status(
            staff.Actor("alice"), app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    assert component_status(client.get("/").get_data(as_text=True), "Analytics") == "major_outage"


def test_a_write_by_another_process_invalidates_the_cache(app, client) -> None:
    client.get("/")
    with app.app_context():
        # What another process does: change state and bump the version in the database.
        staff.set_component_status(
            staff.Actor("alice"), app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
        app.extensions["response_cache"].clear()
        client.get("/")
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE component SET manual_status = NULL"))
            connection.execute(text("UPDATE site_state SET version = version + 1"))
    assert component_status(client.get("/").get_data(as_text=True), "Analytics") == "operational"


def test_database_down_serves_the_last_good_page(app, client, database_outage) -> None:
    good = client.get("/")
    with database_outage(app):
        stale = client.get("/")
        assert stale.status_code == 200
        assert stale.get_data() == good.get_data()
        assert "stale" in stale.headers["Warning"]
        assert client.get("/healthz").status_code == 503


class TestVersionReadOncePerInterval:
    """In production the version is read at most once a second per process."""

    @pytest.fixture
    def settings(self):
        return {"RESPONSE_CACHE_VERSION_TTL": 60}

    def test_cached_reads_within_the_interval_cost_no_query(self, app, client) -> None:
        client.get("/")
        with statements_run(app) as statements:
            for _ in range(5):
                assert client.get("/").status_code == 200
        assert statements == []


def test_a_query_string_the_route_does_not_read_is_the_same_page(app, client) -> None:
    """/?utm_source=<random> costs a dictionary lookup, not a render."""
    with statements_run(app) as statements:
        first = client.get("/?utm_source=a")
        rendering = len(statements)
        for n in range(20):
            again = client.get(f"/?utm_source=tweet-{n}&fbclid={n}")
            assert again.data == first.data
    assert rendering > 5 and len(statements) - rendering <= 20  # one version read each at most
    assert client.get("/").data == first.data


def test_parameters_a_route_reads_are_in_its_key(app, client) -> None:
    one = client.get("/api/v2/incidents.json?per_page=1&utm=x")
    assert one.headers["X-Total-Count"] == "0"
    assert client.get("/api/v2/incidents.json?per_page=2").status_code == 200
    bad = client.get("/api/v2/incidents.json?per_page=zero")
    assert bad.status_code == 400 and "per_page" in bad.get_data(as_text=True)


def test_concurrent_misses_render_a_change_once(app) -> None:
    """While one request renders a page, the others get the rendering before it, marked."""
    import threading

    from statuspage.web import public

    client = app.test_client()
    assert client.get("/uptime").status_code == 200  # an earlier rendering exists
    with app.app_context():
        staff.set_component_status(
            staff.Actor("a@capgo.app"), app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    renders, started, release = [], threading.Event(), threading.Event()
    real = public.render_template

    def slow_render(*args, **kwargs):
        renders.append(1)
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    public.render_template = slow_render
    try:
        answers = []
        renderer = threading.Thread(target=lambda: answers.append(client.get("/uptime")))
        renderer.start()
        assert started.wait(10)
        others = [app.test_client().get("/uptime") for _ in range(5)]
        release.set()
        renderer.join(10)
    finally:
        public.render_template = real
    assert len(renders) == 1
    assert all(
        o.status_code == 200 and "a newer one is being rendered" in o.headers["Warning"]
        for o in others
    )
    assert "Warning" not in answers[0].headers
