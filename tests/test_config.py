"""The configuration file: every broken case stops with one clear message and status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.config import load_config
from statuspage.store import limits
from statuspage.store.models import Component, ProbeResult, ProbeState
from tests.factories import component_toml, config_toml, probe_toml

# The broken files below pin their exact text: each breaks the file in its own way.
SITE = '[site]\nname = "Capgo"\nurl = "https://status.capgo.app"\n'
COMPONENT = '[[components]]\nslug = "live-updates"\nname = "Live Updates"\n'

BROKEN = [
    pytest.param(SITE + "[[components]\nslug = 1", ["invalid TOML", "line 4"], id="bad-toml"),
    pytest.param(
        SITE + COMPONENT + 'grup = "Edge"\n',
        ["component 'live-updates'", "unknown key 'grup'"],
        id="unknown-component-key",
    ),
    pytest.param(
        SITE + 'colour = "blue"\n' + COMPONENT,
        ["[site]", "unknown key 'colour'"],
        id="unknown-site-key",
    ),
    pytest.param(
        SITE + '[[components]]\nname = "Live Updates"\n',
        ["component #1", "missing required key 'slug'"],
        id="missing-slug",
    ),
    pytest.param(
        SITE + '[[components]]\nslug = "live-updates"\n',
        ["component 'live-updates'", "missing required key 'name'"],
        id="missing-name",
    ),
    pytest.param(
        SITE + COMPONENT + COMPONENT,
        ["component 'live-updates'", "duplicate slug"],
        id="duplicate-slug",
    ),
    pytest.param(
        SITE + 'timezone = "Mars/Olympus"\n' + COMPONENT,
        ["[site]", "'timezone'", "Mars/Olympus"],
        id="bad-time-zone",
    ),
    pytest.param(
        '[site]\nurl = "https://status.capgo.app"\n' + COMPONENT,
        ["[site]", "missing required key 'name'"],
        id="missing-site-name",
    ),
    pytest.param(
        SITE + '[[components]]\nslug = "Live Updates"\nname = "Live Updates"\n',
        ["component 'Live Updates'", "'slug'", "lowercase"],
        id="bad-slug",
    ),
    pytest.param(
        SITE + COMPONENT + 'group = "Live Updates"\n[[components]]\nslug = "live"\nname = "x"\n'
        'group = "Live Updates"\n',
        ["group 'Live Updates'", "also a component slug"],
        id="group-slug-clash",
    ),
]

PROBE = '[[components.probes]]\nname = "Worker"\nurl = "https://plugin.capgo.app/ok"\n'

BROKEN += [
    pytest.param(
        SITE + "[incidents]\ngroup_window_s = 1e308\n" + COMPONENT,
        ["[incidents]", "'group_window_s'", "at most 86400"],
        id="group-window-too-long",
    ),
    pytest.param(
        SITE + "[incidents]\ngroup_window_s = -1\n" + COMPONENT,
        ["[incidents]", "'group_window_s'", ">= 0"],
        id="negative-group-window",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + "intermittent_window = 100000\n",
        ["probe 'Worker'", "intermittent_window (100000) cannot exceed 1000"],
        id="intermittent-window-too-long",
    ),
    pytest.param(
        SITE + "[defaults]\nintermittent_failures = 5\nintermittent_window = 4\n" + COMPONENT,
        ["[defaults]", "'intermittent_failures' (5) cannot exceed 'intermittent_window' (4)"],
        id="intermittent-failures-over-window",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + "timeout = 3\n",
        ["component 'live-updates', probe 'Worker'", "unknown key 'timeout'"],
        id="unknown-probe-key",
    ),
    pytest.param(
        SITE + COMPONENT + '[[components.probes]]\nname = "Worker"\n',
        ["probe 'Worker'", "missing required key 'url'"],
        id="probe-missing-url",
    ),
    pytest.param(
        SITE + COMPONENT + '[[components.probes]]\nurl = "https://x.test/"\n',
        ["component 'live-updates', probe #1", "missing required key 'name'"],
        id="probe-missing-name",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + PROBE,
        ["probe 'Worker'", "duplicate probe name"],
        id="duplicate-probe",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + 'expect_status = ["200"]\n',
        ["probe 'Worker'", "'expect_status'", "HTTP codes"],
        id="bad-expect-status",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + "timeout_s = -1\n",
        ["probe 'Worker'", "'timeout_s'", ">= 0.1"],
        id="negative-timeout",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + "degraded_status = [200]\n",
        ["probe 'Worker'", "both expected and degraded"],
        id="status-expected-and-degraded",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + 'method = "FETCH"\n',
        ["probe 'Worker'", "'method'"],
        id="bad-method",
    ),
    pytest.param(
        SITE + COMPONENT + '[[components.probes]]\nname = "W"\nurl = "ftp://x.test/"\n',
        ["probe 'W'", "'url'", "http"],
        id="bad-url",
    ),
    pytest.param(
        SITE + "[defaults]\nintervals = 5\n" + COMPONENT,
        ["[defaults]", "unknown key 'intervals'"],
        id="unknown-default",
    ),
    pytest.param(
        SITE + "[defaults]\nfailures_to_open = 1.5\n" + COMPONENT,
        ["[defaults]", "'failures_to_open'", "whole number"],
        id="fractional-failures",
    ),
    pytest.param(
        SITE + COMPONENT + PROBE + "headers = { authorization = 5 }\n",
        ["probe 'Worker'", "'headers'", "table of strings"],
        id="header-not-string",
    ),
    pytest.param(
        SITE + "[retention]\nraw_days = 0\n" + COMPONENT,
        ["[retention]", "'raw_days'"],
        id="bad-retention",
    ),
    # Longer than the database stores (PostgreSQL refuses it; SQLite would not say).
    pytest.param(
        SITE + f'[[components]]\nslug = "api"\nname = "{"n" * 201}"\n',
        ["component 'api'", "'name'", "longer than 200 characters"],
        id="name-too-long",
    ),
    pytest.param(
        SITE + f'[[components]]\nslug = "{"s" * 101}"\nname = "API"\n',
        ["'slug'", "longer than 100 characters"],
        id="slug-too-long",
    ),
    pytest.param(
        SITE + COMPONENT + f'group = "{"g" * 201}"\n',
        ["component 'live-updates'", "'group'", "longer than 200 characters"],
        id="group-too-long",
    ),
    pytest.param(
        SITE + COMPONENT + f'group = "{"g " * 60}"\n',
        ["component 'live-updates'", "'group'", "slug longer than 100 characters"],
        id="group-slug-too-long",
    ),
    pytest.param(
        SITE
        + COMPONENT
        + f'[[components.probes]]\nname = "{"p" * 190}"\nurl = "https://x.test/"\n',
        ["component 'live-updates', probe", "'name'", "probe key longer than 200 characters"],
        id="probe-key-too-long",
    ),
    pytest.param(
        SITE + '[[components]]\nslug = "api"\nname = "A\\u0000PI"\n',
        ["component 'api'", "'name'", "NUL"],
        id="nul-in-name",
    ),
    pytest.param(
        SITE + '[[components]]\nslug = "api"\nname = "A\\u0007PI"\n',
        ["component 'api'", "'name'", "U+0007"],
        id="control-character-in-name",
    ),
]


@pytest.mark.parametrize(("body", "expected"), BROKEN)
def test_config_check_rejects_broken_file(write_config, body: str, expected: list[str]) -> None:
    path = write_config(body)
    result = CliRunner().invoke(cli, ["config", "check"], env={"STATUSPAGE_CONFIG": str(path)})
    assert result.exit_code == 2
    message = result.output.strip()
    assert message.startswith(f"statuspage: {path}: ")
    assert len(message.splitlines()) == 1
    for fragment in expected:
        assert fragment in message
    assert "Traceback" not in result.output


def test_length_limits_are_those_of_the_columns() -> None:
    assert Component.__table__.c.name.type.length == limits.COMPONENT_NAME
    assert Component.__table__.c.slug.type.length == limits.SLUG
    assert ProbeResult.__table__.c.probe_key.type.length == limits.PROBE_KEY
    assert ProbeState.__table__.c.probe_key.type.length == limits.PROBE_KEY


def test_missing_file_is_named(tmp_path) -> None:
    missing = tmp_path / "nope.toml"
    result = CliRunner().invoke(cli, ["config", "check"], env={"STATUSPAGE_CONFIG": str(missing)})
    assert result.exit_code == 2
    assert f"{missing}: file not found" in result.output


def test_default_config_describes_capgo() -> None:
    config = load_config("content/status.toml")
    assert config.site.name == "Capgo"
    assert [c.slug for c in config.components] == ["live-updates", "app-management", "analytics"]


def test_config_check_prints_summary() -> None:
    result = CliRunner().invoke(cli, ["config", "check"], env={"STATUSPAGE_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert "live-updates: Live Updates" in result.output
    assert "times in UTC" in result.output


def test_real_command_exits_2_without_traceback(write_config) -> None:
    path = write_config(SITE + COMPONENT + COMPONENT)
    for args in (["config", "check"], ["db", "upgrade"], ["run"]):
        done = subprocess.run(
            [sys.executable, "-m", "statuspage", *args],
            capture_output=True,
            text=True,
            env={"STATUSPAGE_CONFIG": str(path), "PATH": ""},
            timeout=60,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert "duplicate slug" in done.stderr
        assert "Traceback" not in done.stderr


def test_probes_inherit_defaults_and_override_them(write_config) -> None:
    config = load_config(
        write_config(
            config_toml(
                component_toml(
                    "live-updates",
                    "Live Updates",
                    probe_toml("Worker", "https://plugin.capgo.app/ok"),
                    probe_toml("Slow one", "https://x.test/", interval_s=120, timeout_s=2.5),
                ),
                defaults={"interval_s": 30, "failures_to_open": 2},
            )
        )
    )
    first, second = config.probes
    assert (first.key, first.interval_s, first.timeout_s, first.failures_to_open) == (
        "live-updates/worker",
        30,
        10,
        2,
    )
    assert (second.key, second.interval_s, second.timeout_s) == ("live-updates/slow-one", 120, 2.5)


def test_config_check_lists_unconfigured_probes(write_config) -> None:
    path = write_config(
        config_toml(
            component_toml(
                "live-updates",
                "Live Updates",
                probe_toml(
                    "Keyed",
                    "https://api.capgo.app/app",
                    headers={"authorization": "${CAPGO_API_KEY}"},
                    requires_env=["CAPGO_API_KEY"],
                ),
            )
        )
    )
    env = {"STATUSPAGE_CONFIG": str(path), "CAPGO_API_KEY": ""}
    result = CliRunner().invoke(cli, ["config", "check"], env=env)
    assert result.exit_code == 0
    assert "NOT CONFIGURED (set CAPGO_API_KEY)" in result.output
    assert "authorization: (redacted)" in result.output
    assert "probes: 0 configured, 1 not configured" in result.output
