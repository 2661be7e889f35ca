"""A real browser over a real server: Debian's chromium driven by Playwright, axe-core injected.

The site is seeded once per module and served on a loopback port (the shared LiveSite); each
test opens a fresh browser context (width, colour scheme, and a signed-in session when it
needs one).
Without chromium or Playwright the tests skip, unless STATUSPAGE_REQUIRE_BROWSER=1 (CI sets
it), when they fail instead: a CI that silently skipped them would prove nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import stamp

from statuspage import DEFAULT_CONFIG, create_app
from statuspage.engine import sync_components
from statuspage.store.db import db
from tests.browser.seed import ADMIN, EDITOR, TWO_FACTOR, TWO_FACTOR_SECRET, Seeded, seed
from tests.conftest import REPO_ROOT, TEST_DATABASE_URL, _empty_postgres
from tests.factories import LiveSite

CHROMIUM = os.environ.get("STATUSPAGE_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that reaches Google's hosts (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"


def _missing() -> str | None:
    """Return why the browser tests cannot run here, or None."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return "playwright or axe-playwright-python is not installed (the test extra)"
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Return one headless chromium for the whole run."""
    reason = _missing()
    if reason:
        if os.environ.get("STATUSPAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The seeded site as the browser reaches it."""

    app: Flask
    url: str
    seeded: Seeded
    now: datetime
    sessions: dict[str, Any]  # Playwright storage states by account: "admin", "editor"


def _database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if TEST_DATABASE_URL is None:
        return f"sqlite:///{tmp_path / 'browser.db'}"
    _empty_postgres(request.getfixturevalue("postgres_admin"))
    return TEST_DATABASE_URL


@pytest.fixture(scope="module")
def site(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Site]:
    """Seed a realistic site, serve it on a loopback port, and sign its staff in once."""
    url = _database_url(tmp_path_factory.mktemp("browser"), request)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-tests",
            "SQLALCHEMY_DATABASE_URI": url,
            "STATUSPAGE_CONFIG": str(DEFAULT_CONFIG),
            "SYNC_COMPONENTS_ON_START": False,
            # Mail "configured" so the sign-up forms show; nothing is sent (only the probe
            # process delivers, and none runs here).
            "SMTP_URL": "smtp://127.0.0.1:9",
        }
    )
    with app.app_context():
        db.create_all()
        stamp()
        sync_components(app.config["STATUS"])
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    seeded = seed(app, now)
    live = LiveSite(app)
    live.start()
    base = live.url
    sessions = {
        "admin": _sign_in(browser, base, *ADMIN),
        "editor": _sign_in(browser, base, *EDITOR),
        "two-factor": _sign_in(browser, base, *TWO_FACTOR, secret=TWO_FACTOR_SECRET),
    }
    try:
        yield Site(app, base, seeded, now, sessions)
    finally:
        live.stop()
        with app.app_context():
            db.session.remove()
            if TEST_DATABASE_URL is None:
                db.drop_all()
            db.engine.dispose()


def _sign_in(browser: Any, base: str, email: str, password: str, secret: str | None = None) -> Any:
    """Sign in through the form, as a person would, and return the session's storage state.

    With a two-factor `secret`, the code screen follows and gets the authenticator's code.
    """
    import pyotp

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/admin/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if secret is not None:
        page.wait_for_url(f"{base}/admin/sign-in/code**")
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin/")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Return the folder the page screenshots go to (build/screenshots, git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
