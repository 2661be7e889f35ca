"""The Capgo status site: a Flask application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from statuspage import notify
from statuspage.config import ConfigError, load_config
from statuspage.store.db import db, render_migration_item
from statuspage.web.forwarding import (
    DEFAULT_TRUSTED,
    SitePrefix,
    TrustedProxies,
    site_prefix,
    trusted_networks,
)
from statuspage.web.languages import LanguagePrefix

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The largest form the admin takes (a 100,000-character postmortem, percent-encoded), refused
# from its Content-Length before a byte of it is read; the write API sets its own limits.
MAX_FORM_BYTES = 1024 * 1024
DEFAULT_CONFIG = PROJECT_ROOT / "content" / "status.toml"
MIGRATIONS = Path(__file__).resolve().parent / "store" / "migrations"

migrate = Migrate()
# Every form a cookie authenticates carries a CSRF token; bearer-token APIs are exempted.
csrf = CSRFProtect()
log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None, *, dev_secret_key: bool = False) -> Flask:
    """Create the site; test_config overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(_settings_from_environment(app))
    app.config.update(MAX_CONTENT_LENGTH=MAX_FORM_BYTES, MAX_FORM_MEMORY_SIZE=MAX_FORM_BYTES)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        if not (dev_secret_key or app.testing):
            raise ConfigError(
                "STATUSPAGE_SECRET_KEY is not set: production needs a long random value, "
                'for example from: python -c "import secrets; print(secrets.token_hex(32))"'
            )
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))

    app.config["STATUS"] = load_config(app.config["STATUSPAGE_CONFIG"])
    notify.init_app(app)
    site = app.config["STATUS"].site
    app.wsgi_app = SitePrefix(  # type: ignore[method-assign]
        LanguagePrefix(app.wsgi_app, site.language), site_prefix(site.url)
    )
    proxies = app.config["PROXIES"]
    if proxies:
        # Behind a reverse proxy, trust its X-Forwarded-For and -Proto (from that many hops,
        # and only when it is the proxy asking), so sign-in throttling sees client addresses
        # and cookies know about HTTPS.
        app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
            app.wsgi_app, proxies, trusted_networks(app.config["TRUSTED_PROXIES"])
        )
    try:
        db.init_app(app)
    except ModuleNotFoundError as error:  # the database's driver, such as psycopg
        raise ConfigError(
            f"STATUSPAGE_DATABASE_URL needs the Python module {error.name!r}, which is not "
            "installed: for PostgreSQL, install the postgres extra (pip install '.[postgres]')"
        ) from None
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )

    from statuspage import web
    from statuspage.store import checks, models  # noqa: F401 - registers the tables
    from statuspage.web.api_v1 import routes as api_v1

    csrf.init_app(app)
    web.init_app(app)
    csrf.exempt(api_v1.bp)  # bearer tokens, not cookies: nothing to forge

    if app.config.get("SYNC_COMPONENTS_ON_START", True):
        with app.app_context():
            _sync_if_migrated(app)
    return app


def _settings_from_environment(app: Flask) -> dict[str, Any]:
    """Read every STATUSPAGE_* setting, with defaults that need no setup."""
    default_db = "sqlite:///" + str(Path(app.instance_path) / "statuspage.db")
    return {
        **notify.settings_from_environment(),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("STATUSPAGE_DATABASE_URL") or default_db,
        "STATUSPAGE_CONFIG": os.environ.get("STATUSPAGE_CONFIG") or str(DEFAULT_CONFIG),
        "SECRET_KEY": os.environ.get("STATUSPAGE_SECRET_KEY") or None,
        "PROXIES": _whole_number("STATUSPAGE_PROXIES"),
        "TRUSTED_PROXIES": os.environ.get("STATUSPAGE_TRUSTED_PROXIES") or DEFAULT_TRUSTED,
        "REQUIRE_2FA": _flag("STATUSPAGE_REQUIRE_2FA"),
        # The bearer token /metrics asks for; unset, /metrics answers 404.
        "METRICS_TOKEN": os.environ.get("STATUSPAGE_METRICS_TOKEN") or None,
    }


def _flag(name: str) -> bool:
    """Read a yes/no setting: 1, true or yes turn it on; unset, 0, false or no leave it off."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (or true/false, yes/no), got {value!r}")


def _whole_number(name: str) -> int:
    """Read a setting that must be a whole number, 0 when unset."""
    value = os.environ.get(name, "").strip() or "0"
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _development_secret_key(instance: Path) -> str:
    """Return the development key kept in the instance folder, creating it once."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_hex(32))
    return key_file.read_text().strip()


def schema_is_current() -> bool:
    """Tell whether the database is at the newest migration (so the models match it)."""
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _sync_if_migrated(app: Flask) -> None:
    """Sync components from the config, unless the schema is missing or out of date."""
    from statuspage.engine import sync_components

    # Before `statuspage db upgrade` has run (including while it runs), leave the tables alone.
    if not schema_is_current():
        return
    try:
        sync_components(app.config["STATUS"])
    except SQLAlchemyError as error:
        # Models newer than the newest migration: only while a developer writes a migration.
        db.session.rollback()
        log.warning("components not synced (%s): is a migration missing?", error.__class__.__name__)
