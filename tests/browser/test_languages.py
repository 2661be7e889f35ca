"""The public pages in other languages in a real browser: longer words (German, French) and
another script (Chinese) still fit a phone and a desktop, axe finds nothing serious, the page
says its language, and the switcher leads to the same page in another. Screenshots are kept
in build/screenshots/ for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Site
from tests.browser.test_pages import AXE_OPTIONS, WIDTHS, _open, _refresh_can_be_stopped, _serious

pytestmark = pytest.mark.slow

PAGES = {
    "home": lambda s: "/",
    "incident-automatic": lambda s: f"/incidents/{s.seeded.automatic_incident}",
    "incident-open": lambda s: f"/incidents/{s.seeded.open_incident}",
    "component": lambda s: "/components/live-updates",
    "component-days": lambda s: "/components/analytics/days",
    "uptime": lambda s: "/uptime",
    "history": lambda s: "/history",
    "subscribe": lambda s: "/subscribe",
}
# German and French for their long words, Chinese for its script, Spanish for the brief.
SCREENS = [(code, name) for code in ("de", "fr", "zh", "es") for name in PAGES]
TAGS = {"zh": "zh-Hans"}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("code", "name"), SCREENS, ids=[f"{c}-{n}" for c, n in SCREENS])
def test_page_in_another_language_fits_and_reads(
    browser, site: Site, screenshots: Path, report_figure, code: str, name: str, width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _open(browser, site, width, "light", None)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(f"{site.url}/{code}{PAGES[name](site)}")
        assert response is not None and response.status == 200
        page.wait_for_load_state("load")
        page.screenshot(path=screenshots / f"{code}-{name}-{width}.png", full_page=True)
        lang = page.evaluate("document.documentElement.lang")
        results = Axe().run(page, options=AXE_OPTIONS).response
        serious = _serious(results, _refresh_can_be_stopped(page))
        report_figure(f"axe {code}-{name} {width}: {len(serious)} serious/critical {serious or ''}")
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        csp = page.evaluate("window.__csp")
    finally:
        page.context.close()
    assert lang == TAGS.get(code, code)
    assert serious == []
    assert errors == []
    assert csp == []
    assert wide <= 0, f"{wide} px wider than the viewport"


def test_the_switcher_leads_to_the_same_page_in_another_language(browser, site: Site) -> None:
    page: Any = _open(browser, site, 1280, "light", None)
    try:
        page.goto(f"{site.url}/fr/uptime")
        assert page.get_by_role("heading", level=1).inner_text() == "Disponibilité par mois"
        switcher = page.get_by_role("navigation", name="Langue")
        with page.expect_navigation():
            switcher.get_by_role("link", name="Deutsch").click()
        assert page.url == f"{site.url}/de/uptime"
        assert page.get_by_role("heading", level=1).inner_text() == "Verfügbarkeit pro Monat"
        with page.expect_navigation():
            page.get_by_role("navigation", name="Sprache").get_by_role(
                "link", name="English"
            ).click()
        assert page.url == f"{site.url}/uptime"
    finally:
        page.context.close()
