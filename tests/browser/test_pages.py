"""Every public page and admin screen in a real browser: axe-core finds no serious or critical
violation, in light and dark, at phone and desktop widths; nothing errs, nothing breaks the
CSP, nothing is wider than the screen. A screenshot of each is kept for a person to look at."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Site
from tests.browser.seed import TWO_FACTOR, subscriber_to_remove

pytestmark = pytest.mark.slow

WIDTHS = (375, 1280)
THEMES = ("light", "dark")
# axe's WCAG 2.0-2.2 A and AA rules and its best practices (heading order, landmarks...).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
# Headings in order, one h1, none empty: axe calls these moderate, the issue asks for them.
HEADING_RULES = frozenset({"heading-order", "page-has-heading-one", "empty-heading"})
# Collects CSP violations from the moment the document exists (added by the browser's
# debugging protocol, so the page's own CSP does not apply to it).
LISTEN_FOR_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@dataclass(frozen=True)
class Screen:
    """A page to visit: its name, how to reach its address, whose session, and its status.

    `then` acts on the page once loaded (fill a form, press a button) to reach a screen that
    only a submission shows; the checks run on wherever that leads.
    """

    name: str
    path: Callable[[Site], str]
    account: str | None = None
    status: int = 200
    then: Callable[[Any], None] | None = None


def _pin_operational(page: Any) -> None:
    """Ask for App Management (degraded) to be pinned Operational: the confirmation follows."""
    page.locator("#status-app-management").select_option("operational")
    with page.expect_navigation():
        page.locator("li", has=page.locator("#status-app-management")).get_by_role(
            "button", name="Set manual status"
        ).click()
    assert page.get_by_role("heading", name="This hides what is observed").count() == 1


def _start_two_factor_sign_in(page: Any) -> None:
    """Type the two-factor account's password: the code screen follows."""
    page.get_by_label("Email").fill(TWO_FACTOR[0])
    page.get_by_label("Password").fill(TWO_FACTOR[1])
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _press(page: Any, name: str) -> None:
    """Press a button by its name and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def _create_token(page: Any) -> None:
    """Create a token: the screen that shows it once follows."""
    page.get_by_label("Name").fill(f"browser {uuid.uuid4().hex[:8]}")
    _press(page, "Create token")
    assert page.locator("code.secret").count() == 1


def _unsubscribe(page: Any) -> None:
    """Press Unsubscribe: the page saying it is done follows."""
    _press(page, "Unsubscribe")
    assert page.get_by_role("heading", name="Unsubscribed").count() == 1


def _new_recovery_codes(page: Any) -> None:
    """Ask for new recovery codes: the screen that shows them once follows."""
    with page.expect_navigation():
        page.get_by_role("button", name="New recovery codes").click()


PUBLIC = [
    Screen("home", lambda s: "/"),
    Screen("history", lambda s: "/history"),
    Screen("history-page-2", lambda s: "/history/2"),
    Screen("uptime", lambda s: "/uptime"),
    Screen("component", lambda s: "/components/live-updates"),
    Screen("component-unchecked", lambda s: "/components/analytics"),
    Screen("incident-open", lambda s: f"/incidents/{s.seeded.open_incident}"),
    Screen("incident-postmortem", lambda s: f"/incidents/{s.seeded.resolved_incident}"),
    Screen("maintenance-active", lambda s: f"/incidents/{s.seeded.active_maintenance}"),
    Screen("maintenance-upcoming", lambda s: f"/incidents/{s.seeded.upcoming_maintenance}"),
    Screen("not-found", lambda s: "/components/nothing-here", status=404),
    Screen("home-no-refresh", lambda s: "/no-refresh"),
    Screen("incident-no-refresh", lambda s: f"/incidents/{s.seeded.open_incident}/no-refresh"),
    Screen("component-no-refresh", lambda s: "/components/live-updates/no-refresh"),
    Screen("component-days", lambda s: "/components/analytics/days"),
    Screen("component-history", lambda s: "/components/live-updates/history"),
    Screen("subscribe", lambda s: "/subscribe"),
    Screen("subscribe-to-incident", lambda s: f"/subscribe?incident={s.seeded.open_incident}"),
    Screen("subscribe-confirm", lambda s: "/subscribe/confirm/a-token-from-a-mail"),
    Screen("unsubscribe", lambda s: f"/unsubscribe/{s.seeded.unsubscribe}"),
    Screen(
        "unsubscribed",
        lambda s: f"/unsubscribe/{subscriber_to_remove(s.app, s.now)}",
        then=_unsubscribe,
    ),
    Screen("unsubscribe-unknown", lambda s: "/unsubscribe/not-a-token"),
]
ADMIN = [
    Screen("admin-sign-in", lambda s: "/admin/sign-in"),
    Screen("admin-incidents", lambda s: "/admin/", "admin"),
    Screen("admin-new-incident", lambda s: "/admin/incidents/new", "admin"),
    Screen("admin-incident-open", lambda s: f"/admin/incidents/{s.seeded.open_incident}", "admin"),
    Screen(
        "admin-incident-resolved",
        lambda s: f"/admin/incidents/{s.seeded.resolved_incident}",
        "admin",
    ),
    Screen(
        "admin-maintenance",
        lambda s: f"/admin/incidents/{s.seeded.active_maintenance}",
        "admin",
    ),
    Screen("admin-new-maintenance", lambda s: "/admin/maintenance/new", "admin"),
    Screen(
        "admin-edit-maintenance",
        lambda s: f"/admin/maintenance/{s.seeded.upcoming_maintenance}/edit",
        "admin",
    ),
    Screen("admin-edit-update", lambda s: f"/admin/updates/{s.seeded.update}/edit", "admin"),
    Screen("admin-components", lambda s: "/admin/components", "admin"),
    Screen("admin-subscribers", lambda s: "/admin/subscribers/", "admin"),
    Screen("admin-users", lambda s: "/admin/users", "admin"),
    Screen("admin-tokens", lambda s: "/admin/tokens", "admin"),
    Screen("admin-token-created", lambda s: "/admin/tokens", "admin", then=_create_token),
    Screen("admin-audit", lambda s: "/admin/audit", "admin"),
    Screen("admin-checks", lambda s: "/admin/checks/", "admin"),
    Screen("admin-account", lambda s: "/admin/account", "admin"),
    Screen("admin-two-factor", lambda s: "/admin/account/two-factor", "admin"),
    Screen("admin-forbidden", lambda s: "/admin/components", "editor", status=403),
    Screen(
        "admin-confirm-resolve",
        lambda s: f"/admin/incidents/{s.seeded.open_incident}/resolve",
        "admin",
    ),
    Screen(
        "admin-confirm-cancel",
        lambda s: f"/admin/maintenance/{s.seeded.active_maintenance}/cancel",
        "admin",
    ),
    Screen("admin-confirm-status", lambda s: "/admin/components", "admin", then=_pin_operational),
    Screen("admin-sign-in-code", lambda s: "/admin/sign-in", then=_start_two_factor_sign_in),
    Screen(
        "admin-recovery-codes", lambda s: "/admin/account", "two-factor", then=_new_recovery_codes
    ),
]


def _open(browser: Any, site: Site, width: int, theme: str, account: str | None) -> Any:
    """Return a new page in a fresh context of this width and colour scheme."""
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        color_scheme=theme,
        storage_state=site.sessions[account] if account else None,
    )
    context.add_init_script(LISTEN_FOR_CSP)
    return context.new_page()


def _serious(results: dict[str, Any], allowed: frozenset[str] = frozenset()) -> list[str]:
    """Return the serious and critical violations, one line each with the elements' selectors.

    `allowed` names rules whose finding the page answers in a way axe cannot see.
    """
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:4])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical") and v["id"] not in allowed
    ]


# axe's meta-refresh rule (WCAG 2.2.1, critical) flags any refresh under 20 hours, and cannot
# see the answer the criterion accepts: a way to turn the time limit off. Every refreshing
# page links to a copy that does not refresh; _refresh_can_be_stopped checks that link, and
# the copies themselves are checked with the rule on.
REFRESH_RULE = frozenset({"meta-refresh"})


def _refresh_can_be_stopped(page: Any) -> frozenset[str]:
    """Return REFRESH_RULE if the page refreshes and offers its copy that does not, else none."""
    if page.locator('meta[http-equiv="refresh"]').count() == 0:
        return frozenset()
    still = page.locator("a.refresh-off")
    assert still.count() == 1, "a refreshing page must link to a copy that does not refresh"
    copy = page.context.new_page()
    try:
        copy.goto(_still(page))
        assert copy.locator('meta[http-equiv="refresh"]').count() == 0
    finally:
        copy.close()
    return REFRESH_RULE


def _still(page: Any) -> str:
    """Return the address the page's "Stop refreshing" link leads to."""
    return page.evaluate("document.querySelector('a.refresh-off').href")


# Chromium cannot capture a page taller than its largest texture (16384 px) in one piece, and
# under load fails on less: the shot stops at this height (the checks still cover it all).
SCREENSHOT_HEIGHT = 12000


def _screenshot(page: Any, path: Path) -> None:
    """Write the whole page to `path`, or its first SCREENSHOT_HEIGHT pixels."""
    width, height = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, SCREENSHOT_HEIGHT)}
    page.screenshot(path=path, full_page=True, clip=clip)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("screen", PUBLIC + ADMIN, ids=lambda screen: screen.name)
def test_page_is_accessible_and_clean(
    browser, site, screenshots: Path, report_figure, screen: Screen, width: int, theme: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _open(browser, site, width, theme, screen.account)
    errors: list[str] = []
    address = site.url + screen.path(site)

    def console(message: Any) -> None:
        # A 404 or 403 page is logged as a failed load of itself: that one is expected.
        if message.type == "error" and not (
            screen.status != 200 and message.location.get("url") == address
        ):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        response = page.goto(address)
        assert response is not None and response.status == screen.status
        page.wait_for_load_state("load")
        if screen.then is not None:
            screen.then(page)
            page.wait_for_load_state("load")
        _screenshot(page, screenshots / f"{screen.name}-{width}-{theme}.png")
        results = Axe().run(page, options=AXE_OPTIONS).response
        serious = _serious(results, _refresh_can_be_stopped(page))
        others = [
            v["id"] for v in results["violations"] if v["impact"] not in ("serious", "critical")
        ]
        headings = [rule for rule in others if rule in HEADING_RULES]
        report_figure(
            f"axe {screen.name} {width} {theme}: {len(serious)} serious/critical"
            + (f" {serious}" if serious else "")
            + (f"; minor/moderate {others}" if others else "")
        )
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        csp = page.evaluate("window.__csp")
    finally:
        page.context.close()
    assert serious == []
    assert headings == []
    assert errors == []
    assert csp == []
    assert wide <= 0, f"{wide} px wider than the viewport"


@pytest.mark.parametrize("width", WIDTHS)
def test_keyboard_reaches_the_first_incident_in_ten_tabs(browser, site, width: int) -> None:
    page = _open(browser, site, width, "light", None)
    try:
        page.goto(site.url + "/")
        first = page.locator("main a[href^='/incidents/']").first.get_attribute("href")
        reached = []
        for _ in range(10):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.getAttribute('href')"))
            if reached[-1] == first:
                break
    finally:
        page.context.close()
    assert first in reached, f"{first} not reached in 10 Tabs: {reached}"


@pytest.mark.parametrize("width", WIDTHS)
def test_keyboard_reaches_the_past_incidents_through_their_skip_link(
    browser, site, width: int
) -> None:
    page = _open(browser, site, width, "light", None)
    try:
        page.goto(site.url + "/")
        first = page.locator("#past-incidents a[href^='/incidents/']").first
        presses = 0
        # Tab to the skip link (it shows when focused), follow it, then Tab on.
        while presses < 10 and page.evaluate("document.activeElement.textContent") != (
            "Skip to past incidents"
        ):
            page.keyboard.press("Tab")
            presses += 1
        assert page.locator(".skip-link:focus").is_visible()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        presses += 2
        focused = page.evaluate("document.activeElement.getAttribute('href')")
        assert focused == first.get_attribute("href")
    finally:
        page.context.close()
    assert presses <= 10


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("indicator", ["none", "minor", "major", "critical", "maintenance"])
def test_the_banner_is_readable_in_every_state(browser, site, theme: str, indicator: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = _open(browser, site, 1280, theme, None)
    try:
        page.goto(site.url + "/")
        # The seeded site is in one state; the others are the same markup with another class.
        page.evaluate(
            f"document.querySelector('.banner').className = 'banner indicator-{indicator}'"
        )
        results = Axe().run(page, context=".banner", options=AXE_OPTIONS).response
    finally:
        page.context.close()
    assert _serious(results) == []


def test_the_csp_listener_hears_a_violation(browser, site) -> None:
    # A check that can only pass proves nothing: an inline style, which the CSP refuses, is heard.
    page = _open(browser, site, 1280, "light", None)
    try:
        page.goto(site.url + "/")
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
        )
        page.wait_for_function("window.__csp.length > 0")
        heard = page.evaluate("window.__csp")
    finally:
        page.context.close()
    assert any(line.startswith("style-src") for line in heard), heard


# The focused element's outline, and its contrast with the background around it (the nearest
# ancestor's that paints one): the ring is drawn outside the element, over that background.
FOCUS_RING = """
(element) => {
  const channels = (colour) => colour.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  let around = "rgb(255, 255, 255)";
  for (let node = element.parentElement; node; node = node.parentElement) {
    const paint = getComputedStyle(node).backgroundColor;
    const alpha = channels(paint)[3];
    if (alpha === undefined || alpha > 0) { around = paint; break; }
  }
  const style = getComputedStyle(element);
  const [ring, back] = [luminance(channels(style.outlineColor)), luminance(channels(around))];
  return {
    what: element.tagName + " " + (element.textContent || element.name || "").trim().slice(0, 40),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (Math.max(ring, back) + 0.05) / (Math.min(ring, back) + 0.05),
  };
}
"""


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(
    "screen",
    [s for s in PUBLIC + ADMIN if s.name in ("home", "incident-open", "admin-components")],
    ids=lambda screen: screen.name,
)
def test_keyboard_focus_is_visible(browser, site, screen: Screen, theme: str) -> None:
    # WCAG 2.4.7 and 2.4.13: each of the first stops a keyboard reaches shows a solid ring at
    # least 2 px wide and 3:1 against what surrounds it (axe does not check focus at all).
    page = _open(browser, site, 1280, theme, screen.account)
    rings = []
    try:
        page.goto(site.url + screen.path(site))
        for _ in range(15):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break  # past the last stop of a short page
            rings.append(page.evaluate(FOCUS_RING, page.evaluate_handle("document.activeElement")))
    finally:
        page.context.close()
    faint = [r for r in rings if r["style"] == "none" or r["width"] < 2 or r["contrast"] < 3]
    assert len(rings) >= 8 and faint == [], (len(rings), faint)


def test_a_message_across_a_reflowed_row_is_not_named_after_a_column(browser, site) -> None:
    # On a phone each cell is labelled with its column's name; "No results yet." spans them all.
    page = _open(browser, site, 375, "light", None)
    try:
        page.goto(site.url + "/components/live-updates")
        labels = page.evaluate(
            "[...document.querySelectorAll('.results td')].map((cell) => [cell.colSpan,"
            " getComputedStyle(cell, '::before').content])"
        )
    finally:
        page.context.close()
    spanning = [label for span, label in labels if span > 1]
    assert spanning and set(spanning) == {"none"}, labels
    assert '"Location"' in {label.split(" /")[0] for span, label in labels if span == 1}
