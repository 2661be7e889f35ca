"""Hostile text comes out inert on every public page, and a very long word cannot break layout."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from statuspage.store.db import db
from statuspage.store.models import ProbeState
from tests.factories import add_incident, component, component_toml, config_toml, probe_toml
from tests.web.pages import NOW, elements, freeze

LONG_WORD = "A" * 5000
RTL = "مرحبا بالعالم שלום"
EMOJI = "🚀🔥 status 👩🏽‍💻"
HOSTILE_TEXTS = [
    "<script>alert('title')</script>",
    '<img src=x onerror="alert(1)">',
    "<iframe src=https://evil.test></iframe>",
    "<svg onload=alert(1)><circle/></svg>",
    '<a href="javascript:alert(1)">click</a>',
    "<b><i>broken <div",
    '"><script>alert(2)</script>',
    "</title><script>alert(3)</script>",
    "\u202eright-to-left override",
]
HOSTILE = " ".join(HOSTILE_TEXTS)
MARKDOWN_BODY = (
    "[click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    "<script>alert(4)</script><iframe src=x></iframe><svg onload=alert(5)></svg>\n\n"
    '<img src=x onerror=alert(6)> <a href="javascript:alert(7)">x</a> <p onclick="x()">p</p>\n\n'
    f"<div><b>unclosed {LONG_WORD} {RTL} {EMOJI}"
)

# Names as long as they may be (PostgreSQL enforces it): an incident's at most 300 characters
# (limits.EVENT_NAME), a component's 200 (limits.COMPONENT_NAME). The long word and the
# right-to-left text are in the incident's updates and postmortem.
INCIDENT_NAME = f"{HOSTILE} {EMOJI}"
COMPONENT_NAME = " ".join([*(HOSTILE_TEXTS[i] for i in (0, 1, 5, 6, 7, 8)), RTL])


CONFIG = config_toml(
    component_toml(
        "evil",
        COMPONENT_NAME,
        probe_toml(
            "<img src=x onerror=alert(8)>", 'https://api.acme.test/"><script>alert(9)</script>'
        ),
        description=f"{HOSTILE} {RTL} {LONG_WORD}",
        group="<script>alert('group')</script>",
    ),
    component_toml("plain", f"Plain {EMOJI}"),
    name="Acme",
    url="https://status.acme.test",
)

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "img", "form", "base", "frame", "style"}
URL_ATTRIBUTES = {"href", "src", "action", "xlink:href", "formaction"}
OUR_SVGS = {"bars-drawing", "swatch", "chart"}


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


@pytest.fixture
def hostile_site(app, monkeypatch) -> dict[str, str]:
    freeze(monkeypatch)
    with app.app_context():
        incident = add_incident(
            INCIDENT_NAME,
            status="investigating",
            started_at=NOW - timedelta(hours=3),
            impact="major",
            affected=[("evil", "major_outage")],
            updates=[
                ("investigating", MARKDOWN_BODY, NOW - timedelta(hours=3)),
                ("identified", HOSTILE, NOW - timedelta(hours=2)),
            ],
            postmortem=MARKDOWN_BODY,
            dated=True,
        )
        resolved = add_incident(
            HOSTILE,
            started_at=NOW - timedelta(days=2),
            resolved_at=NOW - timedelta(days=2) + timedelta(hours=1),
            affected=[("evil", "partial_outage")],
            dated=True,
        )
        add_incident(
            HOSTILE,
            kind="maintenance",
            author=None,
            scheduled_for=NOW + timedelta(hours=2),
            scheduled_until=NOW + timedelta(hours=3),
            affected=["evil"],
            dated=True,
        )
        db.session.add(
            ProbeState(
                probe_key="evil/img-src-x-onerror-alert-8",
                location=f"<script>alert('loc')</script>{RTL}",
                component_id=component("evil").id,
                confirmed="down",
                confirmed_since=NOW - timedelta(hours=1),
                reported_at=NOW - timedelta(minutes=1),
                last_outcome="down",
                last_latency_ms=12.0,
                last_http_status=500,
                last_reason=f"{HOSTILE} {LONG_WORD}"[:300],
            )
        )
        db.session.commit()
        return {"incident": incident.code, "resolved": resolved.code}


def pages(client, codes: dict[str, str]) -> dict[str, str]:
    paths = [
        "/",
        f"/incidents/{codes['incident']}",
        f"/incidents/{codes['resolved']}",
        "/history",
        "/components/evil",
        "/components/plain",
        "/uptime",
    ]
    result = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        result[path] = response.get_data(as_text=True)
    return result


def test_hostile_text_is_inert_on_every_page(client, hostile_site) -> None:
    for path, page in pages(client, hostile_site).items():
        parsed = elements(page)
        for tag, attrs in parsed.tags:
            assert tag not in FORBIDDEN_TAGS, (path, tag, attrs)
            for name, value in attrs:
                assert not name.startswith("on"), (path, tag, name)
                assert name != "style", (path, tag)
                if name in URL_ATTRIBUTES and value:
                    scheme = re.sub(r"\s", "", value).lower()
                    assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (
                        path,
                        value,
                    )
            if tag == "svg":
                assert dict(attrs).get("class") in OUR_SVGS, (path, attrs)
        # What looked like markup reads as text (the parser decoded the escapes).
        if path != "/components/plain":
            assert "<script>alert(" in "".join(parsed.text), path


def test_person_written_text_keeps_its_words(client, hostile_site) -> None:
    site = pages(client, hostile_site)
    incident = site[f"/incidents/{hostile_site['incident']}"]
    assert LONG_WORD in incident
    assert RTL in incident and EMOJI in incident
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in incident
    assert "&lt;iframe src=https://evil.test&gt;&lt;/iframe&gt;" in incident
    # Markdown links with dangerous schemes lose their href; the words stay.
    assert "click me" in incident
    assert RTL in site["/"] and EMOJI in site["/components/plain"]
    assert LONG_WORD in site["/components/evil"]


def test_the_title_cannot_be_closed_early(client, hostile_site) -> None:
    page = client.get(f"/incidents/{hostile_site['resolved']}").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    assert head.count("<title>") == 1 and head.count("</title>") == 1
    assert "&lt;/title&gt;&lt;script&gt;" in head


def test_long_words_wrap_instead_of_widening_the_page() -> None:
    css = (Path(__file__).parents[2] / "statuspage" / "static" / "style.css").read_text()
    rules = {
        selector.strip(): body
        for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)
        if "overflow-wrap: anywhere" in body
    }
    wrapped = " ".join(rules)
    # Every container person-written text lands in.
    for selector in (".incident", ".card", ".components", ".past", ".history", "h1", "h2"):
        assert re.search(rf"(^|[\s,]){re.escape(selector)}([\s,]|$)", wrapped), selector
    for selector in (".event-title", ".name", ".tip", ".reason", ".url"):
        assert selector in wrapped, selector
