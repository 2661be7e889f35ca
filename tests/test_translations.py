"""The message catalogs: complete, consistent with the code, and compiled from what is in git."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from statuspage.vocabulary import LANGUAGES
from tests.conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "statuspage"
TRANSLATIONS = PACKAGE / "translations"


def catalog_path(code: str, extension: str = "po") -> Path:
    return TRANSLATIONS / code / "LC_MESSAGES" / f"messages.{extension}"


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):
    """Run `pybabel extract` over the code, as `make translations-extract` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    arguments = ["extract", "-F", str(REPO_ROOT / "babel.cfg"), "-o", str(pot), str(PACKAGE)]
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])
    with pot.open("rb") as file:
        return read_po(file)


def test_extraction_finds_the_interface(extracted) -> None:
    ids = _ids(extracted)
    # From templates, Python views, the rules' words and the system's messages alike.
    assert {
        "All Systems Operational",
        "Skip to main content",
        "Major outage of %(component)s",
    } <= ids
    assert len(ids) > 250


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_extracted_message_is_in_the_catalog(extracted, code: str) -> None:
    with catalog_path(code).open("rb") as file:
        catalog = read_po(file)
    missing = _ids(extracted) - _ids(catalog)
    assert not missing, f"{code}: run `make translations-update`, then translate {sorted(missing)}"


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated_with_its_placeholders(code: str) -> None:
    with catalog_path(code).open("rb") as file:
        catalog = read_po(file)
    assert catalog.locale.language == code
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []
    # Babel's own checks: the same %(name)s placeholders, the right number of plural forms.
    problems = [(message.id, errors) for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_compiled_catalogs_are_built_from_the_sources(code: str) -> None:
    """The .mo files are built (by `make` or `pip install`), never older than their .po."""
    source, compiled = catalog_path(code), catalog_path(code, "mo")
    assert compiled.exists(), f"run `make translations-compile` (or pip install) for {code}"
    assert compiled.stat().st_mtime >= source.stat().st_mtime, f"{compiled} is stale"


def test_compiled_catalogs_are_not_kept_in_git() -> None:
    ignored = (REPO_ROOT / ".gitignore").read_text()
    assert "statuspage/translations/*/LC_MESSAGES/*.mo" in ignored
