"""The checks of content/status.toml that are not HTTP probes: heartbeats and [[upstreams]].

`statuspage.config` reads the file and hands each table here with the reader it validates
every other table with, so every mistake is one line naming the file, the table and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from probes import ProbeDefinition, probe_key, slugify
from probes.definitions import MAX_HEARTBEAT_KEY, MIN_HEARTBEAT_KEY
from statuspage.store import limits

if TYPE_CHECKING:
    from statuspage.config import _Table

# A provider is read at most once a minute, whatever its interval says: being polite to the
# status pages of the very providers that are having a bad day.
MIN_UPSTREAM_INTERVAL_S = 60
DEFAULT_UPSTREAM_INTERVAL_S = 300
UPSTREAM_KEYS = {"name", "url", "components", "interval_s"}
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


@dataclass(frozen=True)
class UpstreamConfig:
    """One [[upstreams]] entry: a provider Capgo depends on, shown apart, never counted."""

    name: str
    slug: str
    url: str
    # The provider's component names to follow; None follows them all.
    components: tuple[str, ...] | None = None
    interval_s: float = DEFAULT_UPSTREAM_INTERVAL_S


def parse_upstreams(top: _Table, entries: Any) -> tuple[UpstreamConfig, ...]:
    """Validate every [[upstreams]] table: names (and their slugs) unique."""
    if not isinstance(entries, list):
        top.fail("'upstreams' must be an array of tables: write [[upstreams]]")
    upstreams: list[UpstreamConfig] = []
    for index, entry in enumerate(entries, start=1):
        label = f"upstream #{index}"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            label = f"upstream {entry['name']!r}"
        upstream = parse_upstream(top.child(label, entry, UPSTREAM_KEYS))
        if any(u.slug == upstream.slug for u in upstreams):
            top.fail(f"{label}: duplicate name (another upstream has the same slug)")
        upstreams.append(upstream)
    return tuple(upstreams)


def parse_upstream(table: _Table) -> UpstreamConfig:
    """Validate one [[upstreams]] table."""
    name = table.string("name", required=True, max_length=limits.COMPONENT_NAME)
    slug = slugify(name)
    if not slug or len(slug) > limits.SLUG:
        table.fail(f"{table.where}: key 'name' needs a letter or digit and a short slug")
    url = table.string("url", required=True, max_length=limits.URL).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        table.fail(f"{table.where}: key 'url' must be an http(s) URL, got {url!r}")
    components = None
    if "components" in table.data:
        components = table.strings("components")
        if not components:
            table.fail(f"{table.where}: key 'components' is empty: leave it out to follow all")
        folded = [c.strip().casefold() for c in components]
        if len(set(folded)) != len(folded):
            table.fail(f"{table.where}: key 'components' names a component twice")
    interval = table.number(
        "interval_s", DEFAULT_UPSTREAM_INTERVAL_S, minimum=MIN_UPSTREAM_INTERVAL_S
    )
    return UpstreamConfig(name, slug, url, components, interval)


def parse_depends_on(table: _Table, upstreams: tuple[UpstreamConfig, ...]) -> tuple[str, ...]:
    """Validate a component's `depends_on`: each entry names a configured upstream."""
    depends_on = table.strings("depends_on")
    names = [upstream.name for upstream in upstreams]
    for name in depends_on:
        if name not in names:
            known = ", ".join(repr(n) for n in names) or "none is configured"
            table.fail(f"{table.where}: key 'depends_on' names {name!r}, not an upstream ({known})")
    return tuple(dict.fromkeys(depends_on))


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
