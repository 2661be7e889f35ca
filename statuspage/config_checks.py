"""The checks of content/status.toml that are not HTTP probes: heartbeats.

`statuspage.config` reads the file and hands each table here with the reader it validates
every other table with, so every mistake is one line naming the file, the table and the key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from probes import ProbeDefinition, probe_key
from probes.definitions import MAX_HEARTBEAT_KEY, MIN_HEARTBEAT_KEY
from statuspage.store import limits

if TYPE_CHECKING:
    from statuspage.config import _Table

# A heartbeat's own keys, and the probe keys it shares with HTTP probes.
HEARTBEAT_KEYS = {
    "name",
    "kind",
    "key",
    "expect_every_s",
    "grace_s",
    "interval_s",
    "failures_to_open",
    "successes_to_close",
}
# The grace period is a heartbeat's tolerance, so by default one late turn is enough.
HEARTBEAT_CONFIRMATION = 1
DEFAULT_GRACE_S = 60
_LITERAL_KEY = re.compile(rf"[A-Za-z0-9_-]{{{MIN_HEARTBEAT_KEY},{MAX_HEARTBEAT_KEY}}}")
_TEMPLATE_KEY = re.compile(r"(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z0-9_-])+")


def parse_heartbeat(
    table: _Table, label: str, component: str, defaults: dict[str, Any]
) -> ProbeDefinition:
    """Validate a probe of kind "heartbeat": a key, expect_every_s and grace_s, no URL."""
    name = table.string("name", required=True)
    key = table.data.get("key")
    # Never quote the key in a message: it is the heartbeat's only secret.
    if not isinstance(key, str) or not key:
        table.fail(f"{label}: missing required key 'key' (a long secret, usually ${{VAR}})")
    if "${" not in key and not _LITERAL_KEY.fullmatch(key):
        table.fail(
            f"{label}: key 'key' must be {MIN_HEARTBEAT_KEY} to {MAX_HEARTBEAT_KEY} letters, "
            "digits, dashes or underscores (better: ${VAR} from the environment)"
        )
    if "${" in key and not _TEMPLATE_KEY.fullmatch(key):
        table.fail(f"{label}: key 'key' may hold only ${{VAR}} references and [A-Za-z0-9_-]")
    if "expect_every_s" not in table.data:
        table.fail(f"{label}: missing required key 'expect_every_s'")
    definition = ProbeDefinition(
        key=probe_key(component, name),
        component=component,
        name=name,
        url="",
        kind="heartbeat",
        heartbeat_key=key,
        expect_every_s=table.number("expect_every_s", 0, minimum=1),
        grace_s=table.number("grace_s", DEFAULT_GRACE_S, minimum=0),
        interval_s=table.number("interval_s", defaults["interval_s"], minimum=1),
        failures_to_open=table.number(
            "failures_to_open", HEARTBEAT_CONFIRMATION, integer=True, minimum=1
        ),
        successes_to_close=table.number(
            "successes_to_close", HEARTBEAT_CONFIRMATION, integer=True, minimum=1
        ),
    )
    if len(definition.key) > limits.PROBE_KEY:
        table.fail(
            f"{label}: key 'name' makes a probe key longer than {limits.PROBE_KEY} characters"
        )
    return definition
