"""Hostile input, fuzzed: the config loader and every public query parameter and path."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.config import ConfigError, StatusConfig, load_config, parse_config

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "name",
        "slug",
        "url",
        "timezone",
        "group",
        "description",
        "probes",
        "interval_s",
        "timeout_s",
        "expect_status",
        "expect_json",
        "headers",
        "json",
        "method",
        "requires_env",
        "failures_to_open",
        "raw_days",
        "degraded_status",
        "other",
    ]
)
TABLES = st.dictionaries(KEYS, VALUES, max_size=6)
DOCUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "site": TABLES | VALUES,
        "defaults": TABLES | VALUES,
        "retention": TABLES | VALUES,
        "components": st.lists(
            st.fixed_dictionaries(
                {
                    "slug": st.sampled_from(["a", "b", "Bad Slug", ""]) | VALUES,
                    "name": st.text(max_size=10) | VALUES,
                },
                optional={"probes": st.lists(TABLES, max_size=3) | VALUES, "group": VALUES},
            )
            | VALUES,
            max_size=4,
        )
        | VALUES,
    },
)
# Inputs tried per test, reported with the run's figures.
TRIED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_inputs(report_figure_module) -> Any:
    """Report how many inputs each fuzz test tried."""
    yield
    for name, count in TRIED.items():
        report_figure_module(f"fuzz: {name}: {count} inputs, no 500 and no traceback")


def tried(name: str) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(DOCUMENTS)
def test_config_loader_answers_every_document_with_a_config_or_a_clear_error(document) -> None:
    tried("config documents")
    try:
        config = parse_config(document, Path("fuzz.toml"))
    except ConfigError as error:
        assert str(error).startswith("fuzz.toml: ") and "\n" not in str(error)
    else:
        assert isinstance(config, StatusConfig)


@FUZZ
@given(st.text(max_size=200))
def test_config_loader_survives_any_text(tmp_path_factory, text) -> None:
    tried("config files of random text")
    path = tmp_path_factory.mktemp("fuzz") / "status.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as error:
        assert str(error).startswith(str(path))


PARAMS = (
    st.text(max_size=20) | st.integers().map(str) | st.sampled_from(["0", "-1", "1e9", "", "%00"])
)
SEGMENTS = st.text(min_size=1, max_size=40).filter(lambda s: s not in (".", ".."))


@pytest.fixture
def fuzz_client(app):
    return app.test_client()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(page=PARAMS, per_page=PARAMS)
def test_paging_parameters_never_fail(fuzz_client, page, per_page) -> None:
    tried("paging parameters (3 routes each)")
    query = f"?page={quote(page)}&per_page={quote(per_page)}"
    for path in ("/api/v2/incidents.json", "/api/v2/scheduled-maintenances.json", "/history"):
        # /history?page=N redirects to the page's path, which then answers.
        response = fuzz_client.get(path + query, follow_redirects=True)
        assert response.status_code in (200, 400, 404), (path, query, response.status_code)
        if path.startswith("/api/") and response.status_code != 200:
            body = response.get_json()
            assert set(body) >= {"error", "message"}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=SEGMENTS)
def test_slugs_and_codes_never_fail(fuzz_client, segment) -> None:
    tried("slugs and codes (6 routes each)")
    part = quote(segment, safe="")
    for path in (
        f"/incidents/{part}",
        f"/components/{part}",
        f"/components/{part}/history.atom",
        f"/components/{part}/history.rss",
        f"/components/{part}/badge.svg",
        f"/api/v1/incidents/{part}",
    ):
        response = fuzz_client.get(path)
        # 308: the router merges the slashes of a slug that is itself "/".
        assert response.status_code in (200, 308, 401, 404), (path, response.status_code)
