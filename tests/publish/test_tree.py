"""statuspage publish DIR: every public response as a file, the app's own bytes, links intact."""

from __future__ import annotations

import gzip
import json
import logging
import re
from pathlib import Path

import pytest

from statuspage import staff
from statuspage.publish import MANIFEST, PublishError, file_path, public_urls, publish
from statuspage.publish.tree import PublishedFile, write_tree
from statuspage.reads.incidents import incident_codes
from statuspage.store.db import utcnow
from statuspage.web import caching
from tests.publish.site import STAFF, PinnedBucket, crawl, freeze_clock, seed_site


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the response cache in one 30 s bucket for the whole test."""
    monkeypatch.setattr(caching, "time", PinnedBucket())


@pytest.fixture
def seeded(app) -> None:
    seed_site(app)


def test_file_paths_follow_the_url() -> None:
    assert str(file_path("/")) == "index.html"
    assert str(file_path("/history")) == "history/index.html"
    assert str(file_path("/history/2")) == "history/2/index.html"
    assert str(file_path("/components/analytics")) == "components/analytics/index.html"
    assert str(file_path("/api/v2/summary.json")) == "api/v2/summary.json"
    assert str(file_path("/static/style.css")) == "static/style.css"


def published_urls(app, client, tree: Path) -> list[str]:
    """Return the public URLs published into `tree`; the app answers 404 for the others."""
    with app.app_context():
        urls = public_urls(app)
    published = [url for url in urls if (tree / file_path(url)).is_file()]
    for url in set(urls) - set(published):
        # A route filled with a value it does not serve: a component's history page 2 when
        # it has one page, a group's own page.
        assert client.get(url, base_url=app.config["STATUS"].site.url).status_code == 404, url
    assert len(published) > 100
    return published


def test_every_public_url_is_listed(app, seeded) -> None:
    with app.app_context():
        urls = set(public_urls(app))
        codes = incident_codes()
    expected = {
        "/",
        "/history",
        "/history/2",
        "/uptime",
        "/uptime.csv",
        "/history.atom",
        "/history.rss",
        "/history.json",
        "/maintenance.ics",
        "/status.json",
        "/badge.svg",
        "/static/style.css",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    }
    for slug in ("live-updates", "app-management", "analytics"):
        expected |= {
            f"/components/{slug}",
            f"/components/{slug}/badge.svg",
            f"/components/{slug}/maintenance.ics",
            *(f"/components/{slug}/history.{fmt}" for fmt in ("atom", "rss", "json")),
        }
    expected |= {f"/incidents/{code}" for code in codes}
    assert len(codes) == 32
    assert expected <= urls
    assert "/history/1" not in urls and "/history/3" not in urls  # 32 events: two pages


def test_each_file_holds_exactly_what_the_site_answers(app, client, seeded, pinned, tmp_path):
    tmp_path = tmp_path / "site"
    outcome = publish(app, tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["version"] == outcome.version and outcome.files == len(manifest["files"])
    site_url = app.config["STATUS"].site.url
    for url in published_urls(app, client, tmp_path):
        response = client.get(url, base_url=site_url)
        assert response.status_code == 200, url
        path = tmp_path / file_path(url)
        assert path.read_bytes() == response.get_data(), url
        assert manifest["files"][file_path(url).as_posix()]["type"] == response.content_type
        compressed = path.with_name(path.name + ".gz")
        if compressed.exists():
            assert gzip.decompress(compressed.read_bytes()) == response.get_data(), url
    # The pages show when they were rendered, so a stale copy says how stale it is.
    assert 'class="updated">Updated <time datetime="' in (tmp_path / "index.html").read_text()


def test_rendered_together_each_page_is_what_it_is_alone(
    app, client, seeded, pinned, tmp_path, monkeypatch
) -> None:
    """The publisher shares reads between renders (reads/moment.py): the bytes are the same."""
    freeze_clock(monkeypatch, utcnow())
    tree = tmp_path / "site"
    publish(app, tree)
    app.extensions["response_cache"].clear()
    site_url = app.config["STATUS"].site.url
    for url in published_urls(app, client, tree):
        alone = client.get(url, base_url=site_url)  # its own app context, nothing shared
        assert (tree / file_path(url)).read_bytes() == alone.get_data(), url


def test_a_crawl_from_the_home_page_finds_no_broken_link(app, client, seeded, tmp_path):
    publish(app, tmp_path)

    def served_by_the_app(url: str) -> bool:
        return client.get(url).status_code == 200

    seen, broken = crawl(tmp_path, app.config["STATUS"].site.url, served_by_the_app)
    assert broken == []
    # The crawl reached the history's second page, every incident and every component.
    assert "/history/2/index.html" in seen
    assert sum(bool(re.fullmatch(r"/incidents/\w+/index.html", page)) for page in seen) == 32
    assert {f"/components/{s}/index.html" for s in ("analytics", "live-updates")} <= seen


def test_a_broken_link_is_found(app, seeded, tmp_path) -> None:
    """The crawler is no rubber stamp: a missing page and a query URL are reported."""
    publish(app, tmp_path)
    (tmp_path / "history" / "2" / "index.html").unlink()
    page = tmp_path / "uptime" / "index.html"
    page.write_text(page.read_text() + '<a href="/history?page=2">old</a>')
    _, broken = crawl(tmp_path, app.config["STATUS"].site.url, lambda url: True)
    assert ("/history/index.html", "/history/2") in broken
    assert ("/uptime/index.html", "/history?page=2") in broken


def test_only_changed_files_are_rewritten_leaves_first(app, seeded, pinned, tmp_path) -> None:
    tmp_path = tmp_path / "site"
    first = publish(app, tmp_path)
    assert "index.html" in first.written and "static/style.css.gz" in first.written
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    again = publish(app, tmp_path)
    assert again.written == [] and again.version == first.version
    assert stamps == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    with app.app_context():
        staff.set_component_status(
            STAFF, app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    changed = publish(app, tmp_path)
    assert changed.version > first.version
    assert "index.html" in changed.written and "api/v2/summary.json" in changed.written
    assert "static/style.css" not in changed.written
    # Index pages after every leaf, and the home page last of all.
    kinds = [Path(path).name.startswith("index.html") for path in changed.written]
    assert kinds == sorted(kinds) and changed.written[-1] == "index.html"
    assert not list(tmp_path.rglob("*.tmp"))  # every temporary file was renamed into place
    assert "Major Outage" in (tmp_path / "components" / "analytics" / "index.html").read_text()


def test_files_no_longer_public_are_removed(tmp_path) -> None:
    page = PublishedFile(Path("a/index.html"), b"x" * 300, "text/html; charset=utf-8")
    gone = PublishedFile(Path("b/index.html"), b"y" * 300, "text/html; charset=utf-8")
    mine = tmp_path / "robots.txt"
    mine.write_text("not the publisher's")
    write_tree(tmp_path, 1, [page, gone])
    assert (tmp_path / "b" / "index.html.gz").exists()
    outcome = write_tree(tmp_path, 2, [page])
    assert outcome.removed == ["b/index.html", "b/index.html.gz"]
    assert (tmp_path / "a" / "index.html").exists() and mine.exists()


def test_a_failed_publish_leaves_the_last_good_tree(
    app, seeded, tmp_path, database_outage, caplog
) -> None:
    tree = tmp_path / "site"  # beside the test's database file, not around it
    publish(app, tree)
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    with database_outage(app), caplog.at_level(logging.ERROR), pytest.raises(PublishError):
        publish(app, tree)
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
    assert "the last good tree stays" in caplog.text


def test_the_command_publishes_and_reports(app, runner, seeded, tmp_path) -> None:
    result = runner.invoke(["publish", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("published version ")
    assert (tmp_path / "site" / "history" / "2" / "index.html").is_file()
    assert (tmp_path / "site" / "api" / "v2" / "summary.json.gz").is_file()
    again = runner.invoke(["publish", str(tmp_path / "site")])
    assert again.exit_code == 0, again.output


def test_the_command_refuses_a_file_as_directory(app, runner, tmp_path) -> None:
    target = tmp_path / "plain"
    target.write_text("")
    result = runner.invoke(["publish", str(target)])
    assert result.exit_code == 2 and "plain" in result.output
