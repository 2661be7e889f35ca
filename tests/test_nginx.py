"""deploy/nginx.conf in a real nginx: the published tree as files, the rest from gunicorn."""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path

import pytest
import requests

from statuspage.publish import DYNAMIC_PREFIXES, file_path, public_urls
from statuspage.staff.tokens import create_token
from tests.factories import component_toml, config_toml, probe_toml
from tests.nginx import NGINX, NGINX_CONF, check_config, nginx_config, stack
from tests.publish.site import seed_site

pytestmark = pytest.mark.skipif(NGINX is None, reason="needs nginx (apt-get install nginx-light)")

# The headers the app sets that a file served by nginx must carry the same.
SAME_HEADERS = (
    "Cache-Control",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Access-Control-Allow-Origin",
)


def config(base: str) -> str:
    """Return the three components of the site, one probe of the stand-in at `base`."""
    return config_toml(
        component_toml("live-updates", "Live Updates", probe_toml("Update check", f"{base}/ok")),
        component_toml("app-management", "App Management"),
        component_toml("analytics", "Analytics"),
        defaults={"interval_s": 5},
    )


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    config = nginx_config(tmp_path, tmp_path / "site", 8000, 8080)
    done = check_config(config)
    assert done.returncode == 0, done.stderr


def test_the_config_knows_every_dynamic_route_and_every_query_keyed_one(app) -> None:
    text = NGINX_CONF.read_text()
    dynamic = re.search(r"location ~ \^/\(([^)]*)\)\(/\|\$\)", text)
    assert dynamic is not None
    assert {"/" + name for name in dynamic.group(1).split("|")} == set(DYNAMIC_PREFIXES)
    keyed = re.search(r"map \$uri \$statuspage_keyed_on_query \{(.*?)\}", text, re.S)
    assert keyed is not None
    entries = re.findall(r"^\s*(\S+) 1;", keyed.group(1), re.M)
    adapter = app.url_map.bind("localhost")
    examples = {"slug": "live-updates", "number": 1}
    keyed_urls = {
        adapter.build(rule.endpoint, {name: examples[name] for name in rule.arguments})
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "cache_parameters", ())
    }
    assert "/components/live-updates/history" in keyed_urls

    def mapped(url: str) -> bool:
        return any(
            re.search(entry[1:], url) if entry.startswith("~") else entry == url
            for entry in entries
        )

    assert all(mapped(url) for url in keyed_urls), keyed_urls
    assert not mapped("/") and not mapped("/components/live-updates")


@pytest.mark.slow
def test_nginx_serves_the_tree_and_a_write_shows_within_seconds(
    app, client, capgo, write_config, tmp_path, report_figure
) -> None:
    config_path = write_config(config(capgo.url))
    seed_site(app, past_incidents=3)
    with app.app_context():
        token = create_token("nginx-test")
    with stack(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], config_path) as running:
        nginx, gunicorn, site = running.nginx, running.app, running.site
        session = requests.Session()
        with app.app_context():
            urls = public_urls(app)
        assert len(urls) > 30
        for url in urls:
            path = site / file_path(url)
            served = session.get(nginx + url, timeout=10)
            assert served.status_code == 200, url
            assert served.content == path.read_bytes(), url
            direct = session.get(gunicorn + url, timeout=10)
            for name in SAME_HEADERS:
                assert served.headers.get(name) == direct.headers.get(name), (url, name)
            assert _media(served) == _media(direct), url
            assert "ETag" in served.headers and "Last-Modified" in served.headers
        # A published .gz sibling is served as is to clients that take gzip.
        raw = session.get(nginx + "/", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
        assert raw.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(raw.raw.read()) == (site / "index.html").read_bytes()
        # A random query string is the same file; the query-keyed routes go to the app.
        assert (
            session.get(nginx + "/?utm_source=x1", timeout=10).content
            == (site / "index.html").read_bytes()
        )
        moved = session.get(nginx + "/history?page=1", allow_redirects=False, timeout=10)
        assert moved.status_code == 301 and moved.headers["Location"].endswith("/history")
        assert (
            session.get(nginx + "/api/v2/incidents.json?per_page=2", timeout=10)
            .json()["incidents"]
            .__len__()
            == 2
        )
        # What only the app answers reaches it through nginx.
        assert session.get(nginx + "/healthz", timeout=10).status_code in (200, 503)
        assert session.get(nginx + "/admin/sign-in", timeout=10).status_code == 200
        assert session.get(nginx + "/subscribe", timeout=10).status_code == 200
        assert session.get(nginx + "/api/v1/openapi.json", timeout=10).status_code == 200
        refused = session.post(nginx + "/api/v1/incidents", json={}, timeout=10)
        assert refused.status_code == 401 and refused.json()["error"]
        assert session.get(nginx + "/no-such-page", timeout=10).status_code == 404
        # The manifest is not public.
        assert (site / ".published.json").exists()
        assert session.get(nginx + "/.published.json", timeout=10).status_code == 404
        challenge = site / ".well-known" / "acme-challenge" / "t0ken"
        challenge.parent.mkdir(parents=True)
        challenge.write_text("for the certificate authority")
        answer = session.get(nginx + "/.well-known/acme-challenge/t0ken", timeout=10)
        assert answer.status_code == 200 and answer.text == "for the certificate authority"

        # A write through the API, then through nginx: the home page and its new incident.
        waits = []
        for n in range(3):
            name = f"Written through nginx {n}"
            began = time.monotonic()
            created = session.post(
                nginx + "/api/v1/incidents",
                headers={"Authorization": f"Bearer {token}"},
                json={"name": name, "status": "investigating", "body": "Looking."},
                timeout=10,
            )
            assert created.status_code == 201, created.text
            while name not in session.get(nginx + "/", timeout=10).text:
                assert time.monotonic() - began < 20, "the write never showed through nginx"
                time.sleep(0.05)
            waits.append(time.monotonic() - began)
            code = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
            page = session.get(nginx + f"/incidents/{code}", timeout=10)
            assert page.status_code == 200 and name in page.text
            assert (site / "incidents" / code / "index.html").exists()
        report_figure(
            "write to visible through nginx: "
            + ", ".join(f"{wait:.2f} s" for wait in waits)
            + " (target 2 s)"
        )
        # Typically about a second; the bound has headroom for a loaded machine.
        assert max(waits) < 10


def _media(response: requests.Response) -> str:
    """Return a content type without the spaces servers differ on."""
    return response.headers.get("Content-Type", "").replace(" ", "").lower()
