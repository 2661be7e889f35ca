"""Load and validate the site configuration file (content/status.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from probes import ProbeDefinition, probe_key
from probes.definitions import (
    DEFAULT_DEGRADED_MS,
    DEFAULT_FAILURES_TO_OPEN,
    DEFAULT_INTERMITTENT_FAILURES,
    DEFAULT_INTERMITTENT_WINDOW,
    DEFAULT_INTERVAL_S,
    DEFAULT_SUCCESSES_TO_CLOSE,
    DEFAULT_TIMEOUT_S,
    slugify,
)
from statuspage.config_checks import (
    HEARTBEAT_KEYS,
    UpstreamConfig,
    parse_depends_on,
    parse_heartbeat,
    parse_upstreams,
)
from statuspage.store import limits
from statuspage.store.text import uncarried
from statuspage.vocabulary import LANGUAGES

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Components failing within this many seconds of each other share one automatic incident.
DEFAULT_GROUP_WINDOW_S = 120
# Failures a day apart are not one outage (and a bound keeps the window a valid duration).
MAX_GROUP_WINDOW_S = 86_400


class ConfigError(Exception):
    """A configuration file that cannot be used, with a message naming what is wrong."""


@dataclass(frozen=True)
class SiteConfig:
    """The [site] table."""

    name: str
    url: str
    timezone: str = "UTC"
    # The language served at the root; every other one under its own prefix (/es/).
    language: str = "en"

    @property
    def zone(self) -> ZoneInfo:
        """Return the site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def origin(self) -> str:
        """Return the scheme and host of the site's URL: the start of every absolute link
        (paths from url_for already carry any prefix the URL has)."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass(frozen=True)
class ComponentConfig:
    """One [[components]] entry."""

    slug: str
    name: str
    description: str | None = None
    group: str | None = None
    probes: tuple[ProbeDefinition, ...] = ()
    # The names of the [[upstreams]] it runs on: their incidents are mentioned in its own.
    depends_on: tuple[str, ...] = ()

    @property
    def group_slug(self) -> str | None:
        """Return the slug of the component's group, if it has one."""
        return slugify(self.group) if self.group else None


@dataclass(frozen=True)
class AlertsConfig:
    """The [alerts] table: where the on-call team is told (URLs may hold ${VAR})."""

    emails: tuple[str, ...] = ()
    slack: tuple[str, ...] = ()
    discord: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    # A probe's TLS certificate expiring within this many days is an alert (once per
    # certificate) and a warning on the admin screens.
    certificate_days: int = 14

    def targets(self) -> list[tuple[str, str]]:
        """Return every (channel, address or URL as written), in file order."""
        return [
            (channel, target)
            for channel in ALERT_CHANNELS
            for target in getattr(self, "emails" if channel == "email" else channel)
        ]


# The channels [alerts] names, as its keys spell them ("emails" for the email channel).
ALERT_CHANNELS = ("email", "slack", "discord", "teams")


@dataclass(frozen=True)
class IncidentsConfig:
    """The [incidents] table: how automatic incidents group components."""

    group_window_s: float = DEFAULT_GROUP_WINDOW_S


@dataclass(frozen=True)
class StatusConfig:
    """The whole configuration file, validated."""

    path: Path
    site: SiteConfig
    components: tuple[ComponentConfig, ...] = field(default_factory=tuple)
    raw_days: int = 30
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    upstreams: tuple[UpstreamConfig, ...] = ()
    incidents: IncidentsConfig = field(default_factory=IncidentsConfig)

    @property
    def probes(self) -> list[ProbeDefinition]:
        """Return every probe of every component (heartbeats too), in file order."""
        return [probe for component in self.components for probe in component.probes]

    @property
    def http_probes(self) -> list[ProbeDefinition]:
        """Return the probes that make a request: the ones a runner or an agent runs."""
        return [probe for probe in self.probes if not probe.is_heartbeat]

    @property
    def heartbeats(self) -> list[ProbeDefinition]:
        """Return the heartbeat probes, which the site judges from the beats it receives."""
        return [probe for probe in self.probes if probe.is_heartbeat]

    def groups(self) -> list[str]:
        """Return group names in the order they first appear."""
        return list(dict.fromkeys(c.group for c in self.components if c.group))


class _Table:
    """A TOML table being read, which knows how to name itself in error messages."""

    def __init__(self, path: Path, where: str, data: Any, allowed: set[str]) -> None:
        self.path = path
        self.where = where
        if not isinstance(data, dict):
            self.fail(f"{where} must be a table")
        self.data: dict[str, Any] = data
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.fail(
                f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )

    def fail(self, message: str) -> None:
        raise ConfigError(f"{self.path}: {message}")

    def child(self, where: str, data: Any, allowed: set[str]) -> _Table:
        """Return a table found in this file, read the same way."""
        return _Table(self.path, where, data, allowed)

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        default: str | None = None,
        max_length: int | None = None,
    ) -> Any:
        """Return a non-empty string value (at most max_length long), or the default."""
        if key not in self.data:
            if required:
                self.fail(f"{self.where}: missing required key {key!r}")
            return default
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{self.where}: key {key!r} must be a non-empty string, got {value!r}")
        problem = uncarried(value)
        if problem is not None:
            # TOML allows "\u0000" and "\u0007"; the database or a feed would refuse them.
            self.fail(f"{self.where}: key {key!r} contains {problem}")
        value = value.strip()
        if max_length is not None and len(value) > max_length:
            self.fail(f"{self.where}: key {key!r} is longer than {max_length} characters")
        return value

    def number(self, key: str, default: float, *, integer: bool = False, minimum: float = 0) -> Any:
        """Return a number at least `minimum` (an integer when asked), or the default."""
        if key not in self.data:
            return default
        value = self.data[key]
        kind = "a whole number" if integer else "a number"
        valid_type = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, valid_type) or value < minimum:
            self.fail(f"{self.where}: key {key!r} must be {kind} >= {minimum:g}, got {value!r}")
        return value

    def statuses(self, key: str, default: tuple[int, ...]) -> tuple[int, ...]:
        """Return a list of HTTP status codes."""
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599 for v in value
        ):
            self.fail(f"{self.where}: key {key!r} must be a list of HTTP codes, got {value!r}")
        return tuple(value)

    def strings(self, key: str) -> tuple[str, ...]:
        """Return a list of strings."""
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(f"{self.where}: key {key!r} must be a list of strings, got {value!r}")
        return tuple(value)

    def mapping(self, key: str, *, string_values: bool = False) -> dict[str, Any] | None:
        """Return an inline table (with string values only, when asked)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, dict) or (
            string_values and not all(isinstance(v, str) for v in value.values())
        ):
            what = "a table of strings" if string_values else "a table"
            self.fail(f"{self.where}: key {key!r} must be {what}, got {value!r}")
        return value


# Timing and confirmation settings: set in [defaults], overridable per probe.
PROBE_DEFAULTS: dict[str, tuple[float, bool, float]] = {
    # key: (default, whole number?, minimum)
    "interval_s": (DEFAULT_INTERVAL_S, False, 1),
    "timeout_s": (DEFAULT_TIMEOUT_S, False, 0.1),
    "degraded_ms": (DEFAULT_DEGRADED_MS, False, 0),
    "failures_to_open": (DEFAULT_FAILURES_TO_OPEN, True, 1),
    "successes_to_close": (DEFAULT_SUCCESSES_TO_CLOSE, True, 1),
    "intermittent_failures": (DEFAULT_INTERMITTENT_FAILURES, True, 0),
    "intermittent_window": (DEFAULT_INTERMITTENT_WINDOW, True, 1),
}
PROBE_KEYS = set(PROBE_DEFAULTS) | {
    "kind",
    "name",
    "method",
    "url",
    "headers",
    "json",
    "expect_status",
    "expect_json",
    "expect_text",
    "degraded_status",
    "requires_env",
}
TOP_KEYS = {"site", "defaults", "retention", "components", "alerts", "incidents", "upstreams"}
ALERT_KEYS = {"emails", "slack", "discord", "teams", "certificate_days"}
COMPONENT_KEYS = {"slug", "name", "description", "group", "probes", "depends_on"}
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def load_config(path: str | Path) -> StatusConfig:
    """Read and validate the configuration file, raising ConfigError on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path) -> StatusConfig:
    """Validate an already-parsed TOML document."""
    top = _Table(path, "top level", raw, TOP_KEYS)
    site_keys = {"name", "url", "timezone", "language"}
    site = _parse_site(_Table(path, "[site]", raw.get("site", {}), site_keys))
    defaults_table = _Table(path, "[defaults]", raw.get("defaults", {}), set(PROBE_DEFAULTS))
    defaults = {
        key: defaults_table.number(key, default, integer=integer, minimum=minimum)
        for key, (default, integer, minimum) in PROBE_DEFAULTS.items()
    }
    if defaults["intermittent_failures"] > defaults["intermittent_window"]:
        defaults_table.fail(
            f"[defaults]: key 'intermittent_failures' ({defaults['intermittent_failures']}) "
            f"cannot exceed 'intermittent_window' ({defaults['intermittent_window']})"
        )
    incidents_table = _Table(path, "[incidents]", raw.get("incidents", {}), {"group_window_s"})
    group_window_s = incidents_table.number("group_window_s", DEFAULT_GROUP_WINDOW_S)
    if group_window_s > MAX_GROUP_WINDOW_S:
        incidents_table.fail(
            f"[incidents]: key 'group_window_s' must be at most {MAX_GROUP_WINDOW_S} "
            f"(a day), got {group_window_s!r}"
        )
    incidents = IncidentsConfig(group_window_s=group_window_s)
    retention = _Table(path, "[retention]", raw.get("retention", {}), {"raw_days"})
    raw_days = retention.number("raw_days", 30, integer=True, minimum=1)
    upstreams = parse_upstreams(top, raw.get("upstreams", []))
    entries = raw.get("components", [])
    if not isinstance(entries, list):
        top.fail("'components' must be an array of tables: write [[components]]")
    components: list[ComponentConfig] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries, start=1):
        component = _parse_component(path, index, entry, defaults, upstreams)
        if component.slug in seen:
            other = seen[component.slug]
            top.fail(f"component {component.slug!r}: duplicate slug (also used by {other!r})")
        seen[component.slug] = component.name
        components.append(component)
    groups = {c.group: c.group_slug for c in components if c.group}
    for group, group_slug in groups.items():
        if group_slug in seen:
            top.fail(f"group {group!r}: its slug {group_slug!r} is also a component slug")
    alerts = _parse_alerts(_Table(path, "[alerts]", raw.get("alerts", {}), ALERT_KEYS))
    return StatusConfig(
        path=path,
        site=site,
        components=tuple(components),
        raw_days=raw_days,
        alerts=alerts,
        upstreams=upstreams,
        incidents=incidents,
    )


def _parse_alerts(table: _Table) -> AlertsConfig:
    """Validate [alerts]: addresses with an @, URLs https:// (or a ${VAR} holding one)."""
    emails = table.strings("emails")
    for email in emails:
        if not re.match(r"^[^@\s]+@[^@\s]+$", email) or len(email) > limits.EMAIL:
            table.fail(f"[alerts]: key 'emails' holds {email!r}, which is not an email address")
    urls = {key: table.strings(key) for key in ("slack", "discord", "teams")}
    for key, values in urls.items():
        for url in values:
            if not url.startswith(("https://", "${")):
                # Never quote the value: a chat URL is a secret.
                table.fail(f"[alerts]: key {key!r} must hold https:// URLs (or ${{VAR}})")
    days = table.number("certificate_days", 14, integer=True, minimum=1)
    return AlertsConfig(emails=emails, **urls, certificate_days=days)


def _parse_site(table: _Table) -> SiteConfig:
    name = table.string("name", required=True)
    url = table.string("url", required=True).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        table.fail(f"[site]: key 'url' must be an http(s) URL, got {url!r}")
    timezone = table.string("timezone", default="UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        table.fail(f"[site]: key 'timezone' is not an IANA time zone name: {timezone!r}")
    language = table.string("language", default="en")
    if language not in LANGUAGES:
        table.fail(
            f"[site]: key 'language' must be one of {', '.join(LANGUAGES)}, got {language!r}"
        )
    return SiteConfig(name=name, url=url, timezone=timezone, language=language)


def _parse_component(
    path: Path,
    index: int,
    entry: Any,
    defaults: dict[str, Any],
    upstreams: tuple[UpstreamConfig, ...] = (),
) -> ComponentConfig:
    label = f"component #{index}"
    if isinstance(entry, dict) and isinstance(entry.get("slug"), str):
        label = f"component {entry['slug']!r}"
    table = _Table(path, label, entry, COMPONENT_KEYS)
    slug = table.string("slug", required=True, max_length=limits.SLUG)
    if not SLUG_PATTERN.match(slug):
        table.fail(f"{label}: key 'slug' must be lowercase letters, digits and dashes")
    group = table.string("group", max_length=limits.COMPONENT_NAME)
    if group is not None and not slugify(group):
        table.fail(f"{label}: key 'group' needs a letter or digit to make a slug from")
    if group is not None and len(slugify(group)) > limits.SLUG:
        table.fail(f"{label}: key 'group' makes a slug longer than {limits.SLUG} characters")
    entries = table.data.get("probes", [])
    if not isinstance(entries, list):
        table.fail(f"{label}: 'probes' must be an array of tables: write [[components.probes]]")
    probes: list[ProbeDefinition] = []
    for number, probe_entry in enumerate(entries, start=1):
        probe = _parse_probe(path, f"{label}, probe #{number}", slug, probe_entry, defaults)
        if any(p.key == probe.key for p in probes):
            table.fail(f"{label}, probe {probe.name!r}: duplicate probe name")
        probes.append(probe)
    return ComponentConfig(
        slug=slug,
        name=table.string("name", required=True, max_length=limits.COMPONENT_NAME),
        description=table.string("description"),
        group=group,
        probes=tuple(probes),
        depends_on=parse_depends_on(table, upstreams),
    )


def _parse_probe(
    path: Path, label: str, component: str, entry: Any, defaults: dict[str, Any]
) -> ProbeDefinition:
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        label = f"{label.rsplit(', probe', 1)[0]}, probe {entry['name']!r}"
    kind = entry.get("kind", "http") if isinstance(entry, dict) else "http"
    if kind == "heartbeat":
        return parse_heartbeat(
            _Table(path, label, entry, HEARTBEAT_KEYS), label, component, defaults
        )
    table = _Table(path, label, entry, PROBE_KEYS)
    if kind != "http":
        table.fail(f'{label}: key \'kind\' must be "http" or "heartbeat", got {kind!r}')
    name = table.string("name", required=True)
    url = table.string("url", required=True)
    if not re.match(r"^(https?://|\$\{)", url):
        table.fail(f"{label}: key 'url' must start with http:// or https://, got {url!r}")
    method = table.string("method", default="GET").upper()
    if method not in HTTP_METHODS:
        table.fail(f"{label}: key 'method' must be one of {', '.join(sorted(HTTP_METHODS))}")
    expect_text = table.data.get("expect_text")
    if expect_text is not None and not isinstance(expect_text, str):
        table.fail(f"{label}: key 'expect_text' must be a string, got {expect_text!r}")
    timings = {
        key: table.number(key, defaults[key], integer=integer, minimum=minimum)
        for key, (_, integer, minimum) in PROBE_DEFAULTS.items()
    }
    try:
        definition = ProbeDefinition(
            key=probe_key(component, name),
            component=component,
            name=name,
            url=url,
            method=method,
            headers=table.mapping("headers", string_values=True) or {},
            json=table.data.get("json"),
            expect_status=table.statuses("expect_status", (200,)),
            expect_json=table.mapping("expect_json"),
            expect_text=expect_text,
            degraded_status=table.statuses("degraded_status", ()),
            requires_env=table.strings("requires_env"),
            **timings,
        )
    except ValueError as error:
        # The definition's own checks (say, a status both expected and degraded).
        message = str(error).split(": ", 1)[-1]
        table.fail(f"{label}: {message}")
        raise  # unreachable: fail raises
    if len(definition.key) > limits.PROBE_KEY:
        table.fail(
            f"{label}: key 'name' makes a probe key longer than {limits.PROBE_KEY} characters"
        )
    return definition
