"""deploy/: the systemd units that keep the site and its probes running, checked by systemd."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

UNITS = sorted((REPO_ROOT / "deploy").glob("*.service"))


def test_there_is_a_unit_for_the_site_and_one_for_the_probes() -> None:
    names = {unit.name for unit in UNITS}
    assert names == {"statuspage-web.service", "statuspage-probe.service"}
    for unit in UNITS:
        text = unit.read_text()
        # Whatever ends the process (gunicorn's master killed included), systemd starts it again.
        assert "\nRestart=always\n" in text, unit.name
        assert "EnvironmentFile=/etc/statuspage/env" in text, unit.name
    assert "--bind 127.0.0.1:" in (REPO_ROOT / "deploy" / "statuspage-web.service").read_text()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    """Verified as installed, with this checkout standing in for /opt/statuspage."""
    env = tmp_path / "env"
    env.write_text("STATUSPAGE_SECRET_KEY=x\n")
    text = (
        unit.read_text()
        .replace("/opt/statuspage/.venv", sys.prefix)
        .replace("/opt/statuspage", str(REPO_ROOT))
        .replace("/etc/statuspage/env", str(env))
    )
    installed = tmp_path / unit.name
    installed.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(installed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        # Facts of this machine, not of the unit: no such user here, no systemd running.
        if line.strip() and "statuspage" in line and "user" not in line.lower()
    ]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr
