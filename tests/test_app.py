"""Settings, the secret key rule, and the health check."""

from __future__ import annotations

import subprocess
import sys

import pytest
from flask import request
from sqlalchemy import make_url

from statuspage import create_app
from statuspage.config import ConfigError
from tests.conftest import REPO_ROOT, is_sqlite
from tests.standin import unused_port


def test_production_refuses_to_start_without_secret_key(monkeypatch, database_url) -> None:
    monkeypatch.delenv("STATUSPAGE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="STATUSPAGE_SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def test_wsgi_without_secret_key_exits_2_with_a_clear_line(database_url) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"STATUSPAGE_DATABASE_URL": database_url, "PATH": ""},
        timeout=60,
    )
    assert done.returncode == 2
    assert "STATUSPAGE_SECRET_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_secret_key_from_environment(monkeypatch, database_url) -> None:
    monkeypatch.setenv("STATUSPAGE_SECRET_KEY", "s3cret-value-from-env")
    monkeypatch.setenv("STATUSPAGE_DATABASE_URL", database_url)
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret-value-from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url


def test_development_key_is_generated_once_and_kept(monkeypatch, database_url) -> None:
    monkeypatch.delenv("STATUSPAGE_SECRET_KEY", raising=False)
    settings = {"SQLALCHEMY_DATABASE_URI": database_url}
    first = create_app(settings, dev_secret_key=True).config["SECRET_KEY"]
    second = create_app(settings, dev_secret_key=True).config["SECRET_KEY"]
    assert first == second and len(first) == 64


def test_healthz_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "newest_result_age_s": None}


def test_healthz_503_when_database_unreachable(tmp_path, database_url) -> None:
    if is_sqlite(database_url):
        unreachable = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    else:  # the same server, but on a port nothing listens on
        unreachable = make_url(database_url).set(port=unused_port()).render_as_string(False)
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": unreachable, "SYNC_COMPONENTS_ON_START": False}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_behind_a_proxy_the_forwarded_headers_count(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("STATUSPAGE_PROXIES", "1")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    seen = {}

    @app.get("/_echo")
    def echo():
        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return "ok"

    app.test_client().get(
        "/_echo",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen == {"addr": "203.0.113.9", "secure": True}


def test_proxies_setting_must_be_a_number(monkeypatch) -> None:
    monkeypatch.setenv("STATUSPAGE_PROXIES", "yes")
    with pytest.raises(ConfigError, match="STATUSPAGE_PROXIES must be a whole number"):
        create_app({"TESTING": True})


def test_forwarded_headers_count_only_from_a_trusted_proxy(monkeypatch, tmp_path) -> None:
    """Reached directly, a client's own X-Forwarded-For would dodge the per-address limits."""
    monkeypatch.setenv("STATUSPAGE_PROXIES", "1")
    monkeypatch.setenv("STATUSPAGE_TRUSTED_PROXIES", "10.1.2.3, 192.0.2.0/24")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    seen = []

    @app.get("/_echo")
    def echo():
        seen.append((request.remote_addr, request.is_secure))
        return "ok"

    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for peer in ("10.1.2.3", "192.0.2.77", "198.51.100.4", "127.0.0.1"):
        app.test_client().get("/_echo", headers=forwarded, environ_base={"REMOTE_ADDR": peer})
    assert seen == [
        ("203.0.113.9", True),
        ("203.0.113.9", True),
        ("198.51.100.4", False),
        ("127.0.0.1", False),  # not in this site's list
    ]


def test_trusted_proxies_must_be_addresses(monkeypatch) -> None:
    monkeypatch.setenv("STATUSPAGE_PROXIES", "1")
    monkeypatch.setenv("STATUSPAGE_TRUSTED_PROXIES", "10.0.0.0/8, the load balancer")
    with pytest.raises(ConfigError, match="'the load balancer' is not an address or network"):
        create_app({"TESTING": True})
