"""A site served under a path: the prefix comes from `[site] url`, never from a header."""

from __future__ import annotations

import pytest

from statuspage import DEFAULT_CONFIG


@pytest.fixture
def config_path(write_config):
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    return write_config(text.replace('"https://status.capgo.app"', '"https://capgo.app/status"'))


@pytest.mark.parametrize("path", ["/status/", "/"])
def test_links_carry_the_configured_prefix_whether_or_not_the_proxy_strips_it(client, path) -> None:
    page = client.get(path, headers={"X-Forwarded-Prefix": "/elsewhere"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'href="/status/history"' in body and 'href="/status/static/style.css' in body
    assert "/elsewhere" not in body
    assert client.get("/status/uptime").status_code == 200


def test_a_language_lives_under_the_site_prefix(client) -> None:
    body = client.get("/status/fr/history").get_data(as_text=True)
    assert '<html lang="fr">' in body and 'href="/status/fr/uptime"' in body
    assert '<link rel="alternate" hreflang="de" href="https://capgo.app/status/de/history">' in body
    assert 'href="/status/history" hreflang="en" lang="en"' in body
    response = client.get("/status/language", headers={"Accept-Language": "it"})
    assert response.headers["Location"] == "/status/it/"
