"""The command line's structure: families of commands that the group adds, with no cycle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from statuspage.cli import cli

CLI_DIR = Path(__file__).resolve().parents[2] / "statuspage" / "cli"


def test_no_command_family_imports_the_group() -> None:
    # The group imports the families; a family importing it back would be a cycle again.
    for path in sorted(CLI_DIR.glob("*.py")):
        if path.name != "__init__.py":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"^from statuspage\.cli import", text, re.MULTILINE), path.name


def test_the_command_line_imports_in_a_fresh_interpreter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import statuspage.cli"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_group_has_every_command_of_the_site() -> None:
    assert {"config", "content", "export", "import", "probe", "run", "token", "user"} <= set(
        cli.commands
    )
    assert cli.commands["run"].help.startswith("Serve the site with the development server")
