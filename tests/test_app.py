"""Settings, the secret key rule, and the health check."""

from __future__ import annotations

import subprocess
import sys

import pytest

from statuspage import create_app
from statuspage.config import ConfigError
from tests.conftest import REPO_ROOT


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("STATUSPAGE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="STATUSPAGE_SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_wsgi_without_secret_key_exits_2_with_a_clear_line(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"STATUSPAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATH": ""},
        timeout=60,
    )
    assert done.returncode == 2
    assert "STATUSPAGE_SECRET_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_secret_key_from_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("STATUSPAGE_SECRET_KEY", "s3cret-value-from-env")
    monkeypatch.setenv("STATUSPAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret-value-from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_development_key_is_generated_once_and_kept(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("STATUSPAGE_SECRET_KEY", raising=False)
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    first = create_app(settings, dev_secret_key=True).config["SECRET_KEY"]
    second = create_app(settings, dev_secret_key=True).config["SECRET_KEY"]
    assert first == second and len(first) == 64


def test_healthz_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "newest_result_age_s": None}


def test_healthz_503_when_database_unreachable(tmp_path) -> None:
    unreachable = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": unreachable, "SYNC_COMPONENTS_ON_START": False}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
