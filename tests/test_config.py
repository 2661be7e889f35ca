"""The configuration file: every broken case stops with one clear message and status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.config import load_config

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
            [sys.executable, "-m", "statuspage.cli", *args],
            capture_output=True,
            text=True,
            env={"STATUSPAGE_CONFIG": str(path), "PATH": ""},
            timeout=60,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert "duplicate slug" in done.stderr
        assert "Traceback" not in done.stderr
