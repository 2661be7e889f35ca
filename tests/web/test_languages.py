"""The pages in the reader's language: an address per language, never a header; the system's
own text worded in each language, what staff wrote as written; the cache keeps them apart."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from flask_babel import force_locale

from statuspage.config import ConfigError, load_config
from statuspage.reads.formatting import (
    format_duration,
    format_milliseconds,
    format_percent,
    relative_time,
)
from statuspage.store.db import db
from statuspage.store.models import Incident, Subscriber
from statuspage.vocabulary import LANGUAGES
from statuspage.web.filters import local_time
from tests.conftest import REPO_ROOT
from tests.engine.test_evaluation import CONFIG, Script, both
from tests.factories import add_incident, component_toml, config_toml
from tests.web.pages import get

OTHERS = [code for code in LANGUAGES if code != "en"]
ALL_WELL = {
    "en": "All Systems Operational",
    "es": "Todos los sistemas operativos",
    "fr": "Tous les systèmes sont opérationnels",
    "it": "Tutti i sistemi sono operativi",
    "de": "Alle Systeme betriebsbereit",
    "pt": "Todos os sistemas operacionais",
    "zh": "所有系统运行正常",
}


def _lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)">', page).group(1)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_each_language_has_its_address_and_says_all_is_well(client, code: str) -> None:
    prefix = "" if code == "en" else f"/{code}"
    page = get(client, f"{prefix}/")
    assert f"<h1>{ALL_WELL[code]}</h1>" in page
    assert _lang(page) == ("zh-Hans" if code == "zh" else code)
    # Every link the page makes stays in its language.
    assert f'href="{prefix}/history"' in page
    assert f'href="{prefix}/history.atom"' in page


def test_the_root_never_varies_by_header(client) -> None:
    plain = client.get("/")
    for header in ("es", "fr-CA,fr;q=0.9", "zh-CN", "de;q=0.5, ja"):
        asked = client.get("/", headers={"Accept-Language": header})
        assert asked.status_code == 200
        assert asked.get_data() == plain.get_data()
        assert "Accept-Language" not in asked.headers.get("Vary", "")
    assert _lang(plain.get_data(as_text=True)) == "en"


@pytest.mark.parametrize(
    ("header", "goes_to"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.5", "/fr/"),
        ("zh-CN,zh;q=0.9", "/zh/"),
        ("pt-BR", "/pt/"),
        ("de;q=0.4, it;q=0.8", "/it/"),
        ("ja, ko", "/"),
        ("", "/"),
    ],
)
def test_the_language_link_goes_where_the_reader_prefers(client, header, goes_to) -> None:
    response = client.get("/language", headers={"Accept-Language": header})
    assert response.status_code == 303
    assert response.headers["Location"] == goes_to
    assert "Accept-Language" in response.headers["Vary"]
    assert "no-store" in response.headers["Cache-Control"]


def test_every_page_offers_every_language_and_its_alternates(client) -> None:
    page = get(client, "/de/history")
    for code, name in LANGUAGES.items():
        prefix = "" if code == "en" else f"/{code}"
        tag = "zh-Hans" if code == "zh" else code
        assert (
            f'<link rel="alternate" hreflang="{tag}" href="https://status.capgo.app{prefix}/history">'
            in page
        )
        assert f'href="{prefix}/history" hreflang="{tag}" lang="{tag}"' in page
        assert f">{name}</a>" in page
    assert (
        '<link rel="alternate" hreflang="x-default" href="https://status.capgo.app/history">'
        in page
    )
    assert 'href="/history" hreflang="de" lang="de" aria-current="true"' not in page
    assert 'href="/de/history" hreflang="de" lang="de" aria-current="true"' in page


def test_the_cache_never_serves_one_language_to_another(client) -> None:
    # Each read twice, so the second of each is the cached rendering.
    for _ in range(2):
        for code in ("es", "en", "fr"):
            page = get(client, "/" if code == "en" else f"/{code}/")
            assert f"<h1>{ALL_WELL[code]}</h1>" in page
            assert _lang(page) == code


def test_machine_addresses_stay_at_the_root_and_untranslated(client) -> None:
    for path in ("/api/v2/summary.json", "/status.json", "/badge.svg", "/admin/", "/healthz"):
        assert client.get(f"/es{path}").status_code == 404
    summary = client.get("/api/v2/summary.json").get_json()
    assert summary["status"]["description"] == "All Systems Operational"
    assert {c["status"] for c in summary["components"]} == {"operational"}


def test_the_site_language_is_served_at_the_root(client, write_config, app) -> None:
    from statuspage import create_app

    config = config_toml(component_toml("live-updates", "Live Updates"), language="fr")
    french = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "STATUSPAGE_CONFIG": str(write_config(config, "french.toml")),
            "SYNC_COMPONENTS_ON_START": False,
        }
    ).test_client()
    assert "<h1>Tous les systèmes sont opérationnels</h1>" in get(french, "/")
    assert "<h1>All Systems Operational</h1>" in get(french, "/en/")
    assert french.get("/fr/").status_code == 404


def test_an_unknown_site_language_is_refused(write_config) -> None:
    path = write_config(config_toml(language="klingon"))
    with pytest.raises(ConfigError, match="'language' must be one of en, es, fr, it, de, pt, zh"):
        load_config(path)


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


def test_an_automatic_incident_is_worded_in_each_language(app, client, config_path) -> None:
    config = load_config(config_path)
    with app.app_context():
        script = Script(config)
        script.run(both("up"))
        script.repeat(both("down"), 3)
        incident = db.session.execute(db.select(Incident)).scalar_one()
        code, english = incident.code, incident.updates[0].body
    # A reader of French opens the incident; the root keeps the English it was written in.
    french = get(client, f"/fr/incidents/{code}")
    assert '<h1 dir="auto">Panne majeure de Live Updates</h1>' in french
    assert (
        "Les vérifications automatiques de Live Updates échouent depuis 10:03 UTC : "
        "Update check a répondu HTTP 503 (3 vérifications sur 3) ; "
        "Europe edge a répondu HTTP 503 (3 vérifications sur 3)."
    ) in french
    root = get(client, f"/incidents/{code}")
    assert "Major outage of Live Updates" in root
    assert english in root and english.startswith("Automated checks of Live Updates have been")
    # The same in the feeds, and in every other language.
    feed = feedparser.parse(client.get("/fr/history.atom").get_data())
    assert feed.feed.language == "fr"
    assert feed.entries[0].title == "Panne majeure de Live Updates"
    assert feed.entries[0].link == f"https://status.capgo.app/fr/incidents/{code}"
    assert "Les vérifications automatiques" in feed.entries[0].content[0].value
    assert "自 10:03 UTC 起，Live Updates 的自动检查持续失败" in get(
        client, f"/zh/incidents/{code}"
    )
    assert "Schwerer Ausfall von Live Updates" in get(client, f"/de/incidents/{code}")
    # Recovery, with the resolved text, in Spanish.
    with app.app_context():
        script.repeat(both("up"), 2)
    spanish = get(client, f"/es/incidents/{code}")
    assert "Las comprobaciones automáticas de Live Updates se superan desde" in spanish
    assert "Este incidente se ha resuelto." in spanish


def test_staff_text_appears_as_written_in_every_language(app, client) -> None:
    with app.app_context():
        incident = add_incident(
            "Les téléchargements échouent",
            started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            affected=[("live-updates", "major_outage")],
            updates=[
                (
                    "identified",
                    "A **bad** deploy; rolling back.",
                    datetime(2026, 3, 2, 9, 5, tzinfo=UTC),
                )
            ],
        )
        db.session.commit()
        code = incident.code
    for prefix in ("", "/es", "/zh"):
        page = get(client, f"{prefix}/incidents/{code}")
        assert "Les téléchargements échouent" in page
        assert "A <strong>bad</strong> deploy; rolling back." in page


def test_figures_and_times_follow_the_locale(app) -> None:
    moment = datetime(2026, 3, 20, 14, 5, tzinfo=UTC)
    now = datetime(2026, 3, 20, 16, 10, tzinfo=UTC)
    expected = {
        "en": ("99.89%", "1,234 ms", "2 hours ago", "2 h 14 min", "Mar 20, 14:05 UTC"),
        "fr": (
            "99,89\xa0%",
            "1\u202f234 ms",
            "il y a 2 heures",
            "2 h 14 min",
            "20 mars, 14:05 UTC",
        ),
        "de": ("99,89\xa0%", "1.234 ms", "vor 2 Stunden", "2 Std. 14 Min.", "20. März, 14:05 UTC"),
        "zh": ("99.89%", "1,234 毫秒", "2小时前", "2 小时 14 分钟", "3月20日 14:05 UTC"),
    }
    with app.test_request_context("/"):
        for code, words in expected.items():
            with force_locale(code):
                assert (
                    format_percent(99.8996),
                    format_milliseconds(1234),
                    relative_time(moment, now),
                    format_duration(timedelta(hours=2, minutes=14)),
                    local_time(moment),
                ) == words


def test_a_json_feed_speaks_its_language(client) -> None:
    document = json.loads(client.get("/it/history.json").get_data())
    assert document["language"] == "it"
    assert document["title"] == "Stato di Capgo - Cronologia degli incidenti"
    assert document["home_page_url"] == "https://status.capgo.app/it"


@pytest.fixture
def settings() -> dict[str, object]:
    return {"SMTP_URL": "smtp://127.0.0.1:9", "WTF_CSRF_ENABLED": False}


def test_a_subscriber_keeps_the_language_they_signed_up_in(app, client) -> None:
    page = client.post("/pt/subscribe", data={"email": "ana@example.com"}).get_data(as_text=True)
    assert "Verifique sua caixa de entrada" in page
    page = client.post("/fr/subscribe", data={"email": "pas une adresse"}).get_data(as_text=True)
    assert "saisissez une adresse e-mail valide" in page
    client.post("/subscribe", data={"email": "bob@example.com"})
    with app.app_context():
        rows = db.session.execute(db.select(Subscriber.email, Subscriber.language)).all()
    assert sorted(rows) == [("ana@example.com", "pt"), ("bob@example.com", "en")]


def test_the_public_stylesheet_writes_no_words() -> None:
    """Labels a phone shows beside reflowed cells come from the page (data-label), translated."""
    css = (REPO_ROOT / "statuspage" / "static" / "style.css").read_text()
    worded = [
        line.strip() for line in css.splitlines() if re.search(r'content:\s*"[^"]*[A-Za-z]', line)
    ]
    # The admin's Subscribers screen is for staff, in English.
    assert worded and all(line.startswith(".subscribers") for line in worded)


def test_a_default_text_staff_chose_by_writing_none_is_translated_until_edited(app, client) -> None:
    from statuspage import staff

    alice = staff.Actor("alice@capgo.app")
    with app.app_context():
        config = app.config["STATUS"]
        incident = staff.create_incident(
            alice,
            config,
            datetime.now(UTC),
            name="Slow dashboard",
            status="investigating",
            body="",
            components={"live-updates": "degraded_performance"},
        )
        code, update = incident.code, incident.updates[0]
        assert update.body == "We are currently investigating this issue."
    assert "Nous enquêtons actuellement sur ce problème." in get(client, f"/fr/incidents/{code}")
    assert "We are currently investigating this issue." in get(client, f"/incidents/{code}")
    with app.app_context():
        update = db.session.merge(update)
        staff.edit_update(alice, config, datetime.now(UTC), update, body="We **found** it.")
    french = get(client, f"/fr/incidents/{code}")
    assert "We <strong>found</strong> it." in french and "Nous enquêtons" not in french
