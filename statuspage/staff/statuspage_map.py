"""How a Statuspage page's components map onto this site's: by name, or by a --map file.

A --map file is TOML: `[components]`, then one line per remote component, by its name or id,
giving the local slug, or "" to leave it out. Others map by name (case and spacing aside) or by
the slug their name makes; a remote group maps only when named, since its members carry its
incidents. A remote component that maps to nothing is reported, and its incidents come in
without it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from probes import slugify
from statuspage.staff.statuspage_source import RemotePage
from statuspage.store.db import db
from statuspage.store.models import Component


class MapError(Exception):
    """A --map file that cannot be used, naming the key."""


def read_map(path: Path) -> dict[str, str | None]:
    """Read a --map file: `[components]` of remote name or id = local slug ("" leaves it out)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise MapError(f"{path}: cannot be read ({error.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as error:
        raise MapError(f"{path}: invalid TOML: {error}") from None
    unknown = sorted(set(data) - {"components"})
    if unknown:
        raise MapError(f"{path}: unknown key {unknown[0]!r} (allowed: components)")
    table = data.get("components", {})
    if not isinstance(table, dict):
        raise MapError(f"{path}: 'components' must be a table of remote name = local slug")
    mapping: dict[str, str | None] = {}
    for key, slug in table.items():
        if not isinstance(slug, str):
            raise MapError(f'{path}: components.{key}: must be a component slug, or ""')
        mapping[key] = slug.strip() or None
    return mapping


def map_components(
    page: RemotePage, overrides: dict[str, str | None]
) -> tuple[dict[str, Component], list[str]]:
    """Return remote component id -> local component, and a warning per one left unmapped."""
    local = {
        component.slug: component
        for component in db.session.execute(
            db.select(Component).where(Component.is_group.is_(False), Component.hidden.is_(False))
        ).scalars()
    }
    for key, slug in overrides.items():
        if slug is not None and slug not in local:
            known = ", ".join(sorted(local))
            raise MapError(f"--map: components.{key}: no component {slug!r} here (known: {known})")
    by_name = {_plain(component.name): component for component in local.values()}
    mapped: dict[str, Component] = {}
    warnings: list[str] = []
    used = set()
    for remote in page.components.values():
        for key in (remote.id, remote.name):
            if key in overrides:
                used.add(key)
                slug = overrides[key]
                if slug is not None:
                    mapped[remote.id] = local[slug]
                break
        else:
            if remote.group:
                continue  # a group's members carry its incidents
            match = by_name.get(_plain(remote.name)) or local.get(slugify(remote.name))
            if match is not None:
                mapped[remote.id] = match
            else:
                warnings.append(
                    f"component {remote.name!r} ({remote.id}) matches no component here: "
                    "its incidents are imported without it (name one with --map)"
                )
    for key in sorted(set(overrides) - used):
        warnings.append(f"--map names {key!r}, which is no component of {page.url}")
    return mapped, warnings


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())
