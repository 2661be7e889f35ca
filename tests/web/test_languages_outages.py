"""Issues 16 and 17's words in every language: one outage's title and updates, the
intermittent and silent marks of the component page, an incident entered afterwards, a
heartbeat's and a provider's words; English as main writes it."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from flask_babel import force_locale

from statuspage.config import load_config
from statuspage.engine import ingest
from statuspage.reads.system_text import reader_words
from statuspage.reads.upstreams import report_line
from statuspage.rules import title_part, word
from statuspage.rules.wording import describe_reason
from statuspage.store.db import db, utcnow
from statuspage.vocabulary import LANGUAGES, ComponentStatus
from tests.engine.test_outages import (
    ALL,
    API,
    CONFIG,
    MINUTE,
    STATS,
    T0,
    UPDATES,
    Clock,
    incidents,
    result,
    states,
)
from tests.factories import add_incident
from tests.web.pages import get

OTHERS = [code for code in LANGUAGES if code != "en"]
# English words of issue 16 that no other language's page may show.
ENGLISH = ("Major outage of", "still affected", "intermittent:", "no results from", "Silent:")


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG.format(window=120))


@pytest.fixture
def config(config_path):
    return load_config(config_path)


def test_one_outage_of_three_components_in_french_and_in_english(app, client, config) -> None:
    with app.app_context():
        clock = Clock(config)
        clock.ticks(states(down=ALL), 3)
        clock.ticks(states(up=(UPDATES,), down=(API, STATS)), 2)
        [incident] = incidents()
        code, title = incident.code, incident.name
    assert title == "Major outage of Live Updates, App Management and Analytics"
    english = get(client, f"/incidents/{code}")
    assert title in english
    assert "App Management and Analytics are still affected." in english
    french = get(client, f"/fr/incidents/{code}")
    assert "Panne majeure de Live Updates, App Management et Analytics" in french
    assert "App Management et Analytics restent touchés." in french
    assert "Live Updates est passé de « Panne majeure » à « Opérationnel »." in french
    for code_ in OTHERS:
        page = get(client, f"/{code_}/incidents/{code}")
        assert not [words for words in ENGLISH if words in page], code_


def test_a_title_too_long_for_its_names_counts_them_in_each_language(app) -> None:
    names = ["Live Updates", "App Management", "Analytics"]
    part = title_part(ComponentStatus.MAJOR_OUTAGE, names, 30)
    assert word([part], UTC) == "Major outage of 3 components"
    with app.test_request_context("/fr/"), force_locale("fr"):
        assert word([part], UTC, None, reader_words()) == "Panne majeure de 3 composants"


def test_the_intermittent_reason_is_worded_per_language(app, client, config) -> None:
    with app.app_context():
        clock = Clock(config)
        for _ in range(20):
            for outcome in ("down", "down", "up"):
                clock.tick({STATS: outcome, UPDATES: "up", API: "up"})
    english = "intermittent: 6 of the last 10 checks failed (HTTP 503)"
    assert english in get(client, "/components/analytics")
    french = get(client, "/fr/components/analytics")
    assert "intermittent : 6 des 10 dernières vérifications ont échoué (HTTP 503)" in french
    assert 'outcome-degraded">Dégradé<' in french
    german = get(client, "/de/components/analytics")
    assert "zeitweise: 6 der letzten 10 Prüfungen schlugen fehl (HTTP 503)" in german
    for code in OTHERS:
        page = get(client, f"/{code}/components/analytics")
        assert not [words for words in ENGLISH if words in page], code


def test_a_silent_location_is_said_to_be_silent_per_language(
    app, client, config, monkeypatch
) -> None:
    from statuspage.web import public

    with app.app_context():
        now = T0
        for _ in range(3):
            ingest(
                [result(STATS, "up", now, "here"), result(STATS, "down", now, "eu-west")],
                config,
                now,
            )
            now += MINUTE
        for _ in range(4):
            ingest([result(STATS, "up", now, "here")], config, now)
            now += MINUTE
    monkeypatch.setattr(public, "utcnow", lambda: now)
    assert "Silent: no results from eu-west since 10:02 UTC" in get(client, "/components/analytics")
    french = get(client, "/fr/components/analytics")
    assert "Silencieux : aucun résultat de eu-west depuis 10:02 UTC" in french
    chinese = get(client, "/zh/components/analytics")
    assert "已静默：自 10:02 UTC 起未收到来自 eu-west 的结果" in chinese
    for code in OTHERS:
        page = get(client, f"/{code}/components/analytics")
        assert not [words for words in ENGLISH if words in page], code


def test_an_incident_entered_afterwards_says_so_in_the_bar_in_each_language(app, client) -> None:
    yesterday = utcnow() - timedelta(days=1)
    with app.app_context():
        add_incident(
            "Bundle downloads failed",
            started_at=yesterday,
            resolved_at=yesterday + timedelta(minutes=30),
            affected=["live-updates"],
        )
        db.session.commit()
    assert "(entered by staff afterwards)" in get(client, "/")
    assert "(saisi a posteriori par l’équipe)" in get(client, "/fr/")
    assert "（由工作人员事后录入）" in get(client, "/zh/")
    for code in OTHERS:
        assert "entered by staff" not in get(client, f"/{code}/"), code


def test_heartbeat_and_provider_words_per_language(app) -> None:
    later = T0 + MINUTE
    assert describe_reason("reported failure") == "reported a failure"
    english = report_line("Cloudflare", "Workers errors", T0, UTC, later)
    assert english == "Cloudflare reports: Workers errors, since 10:00 UTC"
    with app.test_request_context("/fr/"), force_locale("fr"):
        words = reader_words()
        failed = describe_reason("reported failure: disk full", words=words)
        assert failed == "a signalé un échec : disk full"
        line = report_line("Cloudflare", "Workers errors", T0, UTC, later, words)
        assert line == "Cloudflare signale : Workers errors, depuis 10:00 UTC"
