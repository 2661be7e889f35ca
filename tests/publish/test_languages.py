"""The published tree holds every language: each translated page, feed and static file under
its prefix, in its language; the machine answers (API, badges, status.json) only at the root."""

from __future__ import annotations

import pytest

from statuspage.publish import is_dynamic, publish
from statuspage.vocabulary import LANGUAGES
from tests.publish.site import seed_site

OTHERS = [code for code in LANGUAGES if code != "en"]


@pytest.fixture
def seeded(app) -> None:
    seed_site(app, past_incidents=3)


def test_each_language_is_published_under_its_prefix(app, seeded, tmp_path) -> None:
    publish(app, tmp_path)
    home = (tmp_path / "index.html").read_text()
    assert '<html lang="en">' in home and ">History</a>" in home
    for code in OTHERS:
        tag = "zh-Hans" if code == "zh" else code
        page = (tmp_path / code / "index.html").read_text()
        assert f'<html lang="{tag}">' in page, code
        assert f'href="/{code}/history"' in page and ">History</a>" not in page, code
        for leaf in ("history/index.html", "uptime/index.html", "history.atom", "static/style.css"):
            assert (tmp_path / code / leaf).is_file(), (code, leaf)
        assert (
            not (tmp_path / code / "api").exists() and not (tmp_path / code / "badge.svg").exists()
        )
    french = (tmp_path / "fr" / "history" / "index.html").read_text()
    assert "Historique" in french


def test_the_app_answers_sign_up_and_the_language_chooser_in_every_language() -> None:
    assert is_dynamic("/subscribe") and is_dynamic("/es/subscribe") and is_dynamic("/language")
    assert is_dynamic("/zh/unsubscribe/x") and is_dynamic("/fr/language")
    assert not is_dynamic("/es/history") and not is_dynamic("/es/") and not is_dynamic("/")
