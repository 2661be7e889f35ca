"""Incident templates: content/templates/*.md, checked by `statuspage content check`, filling
the admin's new incident and update forms."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from statuspage.staff.content_files import ContentError
from statuspage.staff.incident_templates import fill, parse_template
from statuspage.store.db import db
from statuspage.store.models import Incident
from tests.staff.helpers import sign_in

REPO = Path(__file__).resolve().parents[2]
KNOWN = ["live-updates", "analytics"]
CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[[components]]
slug = "live-updates"
name = "Live Updates"
[[components]]
slug = "analytics"
name = "Analytics"
"""
OUTAGE = """+++
name = "Live Updates and stats down"
title = "Major outage of {component}"
status = "identified"
impact = "critical"
components = { live-updates = "major_outage", analytics = "partial_outage" }
+++
{component} are failing; {site} engineers are on it. Braces: {{literal}}.
"""
MONITORING = """+++
name = "Fix deployed"
title = "Issue with {component}"
status = "monitoring"
+++
A fix for {component} is out; we are watching it.
"""


def template(**front: str) -> str:
    values = {"name": '"Outage"', "title": '"Outage of {component}"', "status": '"investigating"'}
    values.update(front)
    lines = [f"{key} = {value}" for key, value in values.items() if value]
    return "+++\n" + "\n".join(lines) + "\n+++\nLooking into {component}.\n"


def test_a_template_parses_with_its_fields() -> None:
    parsed = parse_template(OUTAGE, "outage", KNOWN)
    assert (parsed.name, parsed.status, parsed.impact) == (
        "Live Updates and stats down",
        "identified",
        "critical",
    )
    assert parsed.components == {"live-updates": "major_outage", "analytics": "partial_outage"}
    title, body = parsed.filled(["Live Updates", "Analytics"], "Capgo")
    assert title == "Major outage of Live Updates and Analytics"
    assert body == (
        "Live Updates and Analytics are failing; Capgo engineers are on it. Braces: {literal}."
    )
    plain = parse_template(template(impact="", components='["analytics"]'), "plain", KNOWN)
    assert plain.impact == "from_components"
    assert plain.components == {"analytics": "degraded_performance"}


@pytest.mark.parametrize(
    ("text", "key", "field", "words"),
    [
        (template(title='"Outage of {components}"'), "x", "title", "unknown placeholder"),
        (template(title='"Outage of {component.__class__}"'), "x", "title", "unknown placeholder"),
        (template(title='"Outage of {component!r}"'), "x", "title", "unknown placeholder"),
        (template(title='"Outage of {component"'), "x", "title", "literal braces"),
        (template(status='"broken"'), "x", "status", "must be one of"),
        (template(status=""), "x", "status", "must be one of"),
        (template(impact='"huge"'), "x", "impact", "must be one of"),
        (template(name=""), "x", "name", "required"),
        (template(components='["live-update"]'), "x", "components", "unknown component"),
        (template(components='{ analytics = "broken" }'), "x", "components.analytics", "status"),
        (template(colour='"red"'), "x", "colour", "unknown key"),
        (template(), "Bad Name", "file name", "lowercase"),
        ("no front matter\n", "x", "line 1", "front matter"),
        (template().replace("Looking into {component}.", "Looking into {}."), "x", "line 6", "{}"),
    ],
)
def test_a_bad_template_names_what_is_wrong(text, key, field, words) -> None:
    with pytest.raises(ContentError) as raised:
        parse_template(text, key, KNOWN)
    assert raised.value.field == field and words in raised.value.message


def test_filled_values_are_never_read_as_placeholders() -> None:
    assert fill("{component} at {site}", {"component": "{site}", "site": "Capgo"}) == (
        "{site} at Capgo"
    )


def test_content_check_validates_the_templates(runner, config_path) -> None:
    folder = config_path.parent / "templates"
    (folder / "README.md").write_text("# Not a template\n")
    env = {"STATUSPAGE_CONFIG": str(config_path)}
    bad = runner.invoke(args=["content", "check"], env=env)
    assert bad.exit_code == 2
    assert bad.output.splitlines() == [
        "error: templates/broken.md: status: must be one of: investigating, identified, "
        "monitoring, resolved, postmortem (got 'nope')",
        "ok: templates/monitoring.md (Fix deployed)",
        "ok: templates/outage.md (Live Updates and stats down)",
    ]
    (folder / "broken.md").write_text(template(components='["live-update"]'))
    typo = runner.invoke(args=["content", "check"], env=env)
    assert typo.exit_code == 2
    assert "error: templates/broken.md: components: unknown component 'live-update'" in typo.output
    (folder / "broken.md").unlink()
    good = runner.invoke(args=["content", "check"], env=env)
    assert good.exit_code == 0 and good.output.count("ok: ") == 2, good.output


def test_the_shipped_templates_are_valid(runner) -> None:
    config = REPO / "content" / "status.toml"
    result = runner.invoke(args=["content", "check"], env={"STATUSPAGE_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: templates/") >= 4 and "error" not in result.output


@pytest.fixture
def config_path(write_config, tmp_path):
    path = write_config(CONFIG)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "outage.md").write_text(OUTAGE)
    (tmp_path / "templates" / "monitoring.md").write_text(MONITORING)
    (tmp_path / "templates" / "broken.md").write_text(template(status='"nope"'))
    return path


@pytest.fixture
def settings():
    return {"WTF_CSRF_ENABLED": False}


@pytest.fixture
def staff_client(app, client):
    return sign_in(app, client)


def selected(page: str, name: str) -> str | None:
    """Return the selected option of a select, as the browser would show it."""
    block = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert block is not None, name
    for attributes in re.findall(r"<option([^>]*)>", block.group(0)):
        if re.search(r"\bselected\b", attributes):
            return re.search(r'value="([^"]*)"', attributes).group(1)
    return None


def test_a_template_fills_the_new_incident_form(staff_client) -> None:
    page = staff_client.get("/admin/incidents/new").get_data(as_text=True)
    # Offered: the valid ones; the broken one is left out (content check says why).
    assert '<option value="outage"' in page and '<option value="monitoring"' in page
    assert 'value="broken"' not in page
    page = staff_client.get("/admin/incidents/new?template=outage").get_data(as_text=True)
    assert 'value="Major outage of Live Updates and Analytics"' in page
    assert selected(page, "status") == "identified"
    assert selected(page, "impact") == "critical"
    assert selected(page, "component-live-updates") == "major_outage"
    assert selected(page, "component-analytics") == "partial_outage"
    body = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    assert html.unescape(body).strip() == (
        "Live Updates and Analytics are failing; Capgo engineers are on it. Braces: {literal}."
    )
    unknown = staff_client.get("/admin/incidents/new?template=broken").get_data(as_text=True)
    assert "No valid template has that name" in unknown


def test_a_template_fills_the_update_form(app, staff_client) -> None:
    response = staff_client.post(
        "/admin/incidents/new",
        data={
            "name": "Stats delayed",
            "status": "investigating",
            "impact": "from_components",
            "component-analytics": "degraded_performance",
            "body": "Looking.",
            "action": "post",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        code = db.session.execute(db.select(Incident.code)).scalar_one()
    page = staff_client.get(f"/admin/incidents/{code}?template=monitoring").get_data(as_text=True)
    assert selected(page, "status") == "monitoring"
    body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    # {component} names the incident's own components.
    assert html.unescape(body).strip() == "A fix for Analytics is out; we are watching it."
    assert selected(page, "component-analytics") is None  # the template changes no component
