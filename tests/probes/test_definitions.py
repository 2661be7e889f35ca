"""Probe definitions: keys, ${VAR} expansion, missing environment, safe descriptions."""

from __future__ import annotations

import json
import pickle

import pytest

from probes import ProbeDefinition, configured, describe, expand, missing_env, probe_key
from probes.definitions import expand_text, slugify
from statuspage.config import SLUG_PATTERN as SLUG
from tests.probes.helpers import SECRET, updates_probe


def test_probe_key_is_component_slug_and_slugified_name() -> None:
    assert probe_key("live-updates", "Update check (EU)") == "live-updates/update-check-eu"
    assert probe_key("api", "  Ça marche / OK!  ") == "api/ca-marche-ok"
    assert updates_probe().key == "live-updates/update-check-eu"


@pytest.mark.parametrize(("component", "name"), [("", "x"), ("a/b", "x"), ("api", "!!!")])
def test_probe_key_rejects_unusable_parts(component: str, name: str) -> None:
    with pytest.raises(ValueError):
        probe_key(component, name)


def test_definition_is_frozen_hashable_and_normalised() -> None:
    definition = updates_probe(expect_status=[200, 204])
    assert definition.method == "POST"
    assert definition.expect_status == (200, 204)
    assert hash(definition) == hash(updates_probe(expect_status=[200, 204]))
    assert definition == updates_probe(expect_status=(200, 204))
    assert pickle.loads(pickle.dumps(definition)) == definition
    with pytest.raises(AttributeError):
        definition.url = "http://127.0.0.1/"  # type: ignore[misc]


def test_definition_copies_its_mappings() -> None:
    headers = {"authorization": "${KEY}"}
    definition = ProbeDefinition.build("api", "app", "http://127.0.0.1/app", headers=headers)
    headers["authorization"] = "changed"
    assert definition.headers["authorization"] == "${KEY}"


@pytest.mark.parametrize(
    "options",
    [
        {"expect_status": ()},
        {"expect_status": (200, 429), "degraded_status": (429,)},
        {"timeout_s": 0},
        {"interval_s": -1},
        {"failures_to_open": 0},
    ],
)
def test_definition_rejects_impossible_settings(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ProbeDefinition.build("api", "ok", "http://127.0.0.1/ok", **options)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${NAME}", "value"),
        ("a${NAME}b", "avalueb"),
        ("${UNSET:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${NAME:-fallback}", "value"),
        ("${UNSET:-}", ""),
        ("$$", "$"),
        ("$${NAME}", "${NAME}"),
        ("$$$${NAME}", "$${NAME}"),
        ("$NAME ${ $ {NAME} ${not-a-name} ${1X}", "$NAME ${ $ {NAME} ${not-a-name} ${1X}"),
        ("${NAME", "${NAME"),
        ("cost: 5$", "cost: 5$"),
    ],
)
def test_expand_text_syntax(template: str, expected: str) -> None:
    assert expand_text(template, {"NAME": "value", "EMPTY": ""}) == expected


def test_expand_fills_url_headers_and_nested_json() -> None:
    environ = {"CAPGO_API_KEY": SECRET, "DEVICE": "dev-1", "KEY_NAME": "custom", "REGION": "na"}
    expanded = expand(updates_probe(), environ)
    assert expanded.url == "https://plugin.na.capgo.app/updates?key=none"
    assert dict(expanded.headers) == {"authorization": SECRET, "x-static": "fixed-value"}
    assert expanded.json == {
        "app_id": "com.example.app",
        "nested": {"list": ["dev-1", 1, True, None], "custom": "v"},
    }
    assert expanded.expanded
    assert SECRET not in repr(expanded)
    # The original keeps its templates.
    assert updates_probe().headers["authorization"] == "${CAPGO_API_KEY}"


def test_expand_refuses_a_probe_that_is_not_configured() -> None:
    with pytest.raises(ValueError, match="CAPGO_API_KEY, DEVICE"):
        expand(updates_probe(), {})


def test_missing_env_lists_required_and_referenced_names_once() -> None:
    definition = updates_probe(requires_env=("PROBE_TOKEN", "CAPGO_API_KEY"))
    assert missing_env(definition, {}) == ["PROBE_TOKEN", "CAPGO_API_KEY", "DEVICE"]
    # Empty counts as unset: an empty key would still send a keyless request.
    assert missing_env(definition, {"PROBE_TOKEN": "", "CAPGO_API_KEY": "k", "DEVICE": "d"}) == [
        "PROBE_TOKEN"
    ]
    # References with a default never make a probe unconfigured; escaped ones are not references.
    plain = ProbeDefinition.build("api", "ok", "http://${HOST:-127.0.0.1}/$${LITERAL}")
    assert missing_env(plain, {}) == []


def test_configured_keeps_only_runnable_definitions() -> None:
    ok = ProbeDefinition.build("api", "ok", "http://127.0.0.1/ok")
    keyed = updates_probe()
    assert configured([ok, keyed], {}) == [ok]
    assert configured([ok, keyed], {"CAPGO_API_KEY": "k", "DEVICE": "d"}) == [ok, keyed]


def test_describe_shows_templates_and_hides_header_values() -> None:
    environ = {"CAPGO_API_KEY": SECRET, "DEVICE": "dev-1"}
    description = describe(updates_probe())
    text = json.dumps(description)
    assert SECRET not in text and "fixed-value" not in text
    assert description["method"] == "POST"
    assert description["url"] == updates_probe().url
    assert description["headers"] == {"authorization": "(redacted)", "x-static": "(redacted)"}
    assert description["env"] == [
        "REGION",
        "QUERY_KEY",
        "CAPGO_API_KEY",
        "APP_ID",
        "DEVICE",
        "KEY_NAME",
    ]
    assert description["expect"]["json"] == {"error": ["no_new_version_available", "no_channel"]}
    assert description["timing"] == {"interval_s": 60, "timeout_s": 10, "degraded_ms": 3000}
    with pytest.raises(ValueError):
        describe(expand(updates_probe(), environ))


def test_describe_redacts_a_literal_password_in_the_url() -> None:
    definition = ProbeDefinition.build("api", "ok", "https://probe:hunter22@127.0.0.1/ok")
    assert describe(definition)["url"] == "https://probe:(redacted)@127.0.0.1/ok"
    templated = ProbeDefinition.build("api", "ok", "https://probe:${PASS}@127.0.0.1/ok")
    assert describe(templated)["url"] == "https://probe:${PASS}@127.0.0.1/ok"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Update check (EU)", "update-check-eu"),
        ("  Ça marche / OK!  ", "ca-marche-ok"),
        ("---", ""),
    ],
)
def test_slugify_folds_latin_letters(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_slugify_keeps_names_apart_that_ascii_cannot_spell() -> None:
    japan, china = slugify("日本"), slugify("中国")
    assert japan and china and japan != china
    assert japan == slugify("日本") and SLUG.match(japan)
    # A name partly in ASCII keeps that part readable, and still differs from its neighbour.
    assert slugify("Edge 東京").startswith("edge-") and slugify("Edge 東京") != slugify("Edge 大阪")
