"""Load and validate the site configuration file (content/status.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ConfigError(Exception):
    """A configuration file that cannot be used, with a message naming what is wrong."""


@dataclass(frozen=True)
class SiteConfig:
    """The [site] table."""

    name: str
    url: str
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        """Return the site's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ComponentConfig:
    """One [[components]] entry."""

    slug: str
    name: str
    description: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class StatusConfig:
    """The whole configuration file, validated."""

    path: Path
    site: SiteConfig
    components: tuple[ComponentConfig, ...] = field(default_factory=tuple)

    def groups(self) -> list[str]:
        """Return group names in the order they first appear."""
        return list(dict.fromkeys(c.group for c in self.components if c.group))


def slugify(text: str) -> str:
    """Turn a human name into a lowercase, dash-separated slug."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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

    def string(self, key: str, *, required: bool = False, default: str | None = None) -> Any:
        """Return a non-empty string value, or the default when absent."""
        if key not in self.data:
            if required:
                self.fail(f"{self.where}: missing required key {key!r}")
            return default
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{self.where}: key {key!r} must be a non-empty string, got {value!r}")
        return value.strip()


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
    top = _Table(path, "top level", raw, {"site", "components"})
    site = _parse_site(_Table(path, "[site]", raw.get("site", {}), {"name", "url", "timezone"}))
    entries = raw.get("components", [])
    if not isinstance(entries, list):
        top.fail("'components' must be an array of tables: write [[components]]")
    components: list[ComponentConfig] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries, start=1):
        component = _parse_component(path, index, entry)
        if component.slug in seen:
            other = seen[component.slug]
            top.fail(f"component {component.slug!r}: duplicate slug (also used by {other!r})")
        seen[component.slug] = component.name
        components.append(component)
    for group in dict.fromkeys(c.group for c in components if c.group):
        if slugify(group) in seen:
            top.fail(f"group {group!r}: its slug {slugify(group)!r} is also a component slug")
    return StatusConfig(path=path, site=site, components=tuple(components))


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
    return SiteConfig(name=name, url=url, timezone=timezone)


def _parse_component(path: Path, index: int, entry: Any) -> ComponentConfig:
    label = f"component #{index}"
    if isinstance(entry, dict) and isinstance(entry.get("slug"), str):
        label = f"component {entry['slug']!r}"
    table = _Table(path, label, entry, {"slug", "name", "description", "group"})
    slug = table.string("slug", required=True)
    if not SLUG_PATTERN.match(slug):
        table.fail(f"{label}: key 'slug' must be lowercase letters, digits and dashes")
    return ComponentConfig(
        slug=slug,
        name=table.string("name", required=True),
        description=table.string("description"),
        group=table.string("group"),
    )
