"""`statuspage config check`: validate the configuration file and summarise it."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from probes import ProbeDefinition, describe, missing_env
from probes.definitions import heartbeat_key_problem
from statuspage.cli.common import config_path, fail
from statuspage.config import ConfigError, StatusConfig, load_config
from statuspage.rules.heartbeat import every


@click.group("config", cls=AppGroup)
def config_group() -> None:
    """Inspect the configuration file."""


@config_group.command("check", with_appcontext=False)
def config_check() -> None:
    """Validate the configuration file and print a summary of it."""
    try:
        config = load_config(config_path())
    except ConfigError as error:
        fail(error)
    click.echo(describe_config(config))


def describe_config(config: StatusConfig) -> str:
    """Return a readable summary of a valid configuration."""
    site = config.site
    lines = [
        f"{config.path}: OK",
        f"site: {site.name} at {site.url}, times in {site.timezone}",
        f"components ({len(config.components)}):",
    ]
    for component in config.components:
        group = f"  [group: {component.group}]" if component.group else ""
        upstreams = ", ".join(component.depends_on)
        depends = f"  [depends on: {upstreams}]" if upstreams else ""
        lines.append(f"  {component.slug}: {component.name}{group}{depends}")
        for probe in component.probes:
            if probe.is_heartbeat:
                lines.append(_describe_heartbeat(probe))
                continue
            missing = missing_env(probe, os.environ)
            state = f"NOT CONFIGURED (set {', '.join(missing)})" if missing else "configured"
            shown = describe(probe)
            headers = "".join(f", {name}: {value}" for name, value in shown["headers"].items())
            lines.append(
                f"    - {probe.name} [{probe.key}]: {shown['method']} {shown['url']}{headers}, "
                f"every {probe.interval_s:g} s, timeout {probe.timeout_s:g} s: {state}"
            )
    probes = config.probes
    ready = [p for p in probes if not _problem(p)]
    lines.append(f"probes: {len(ready)} configured, {len(probes) - len(ready)} not configured")
    if config.upstreams:
        lines.append(f"upstreams ({len(config.upstreams)}), shown apart, never counted:")
    for upstream in config.upstreams:
        followed = ", ".join(upstream.components) if upstream.components else "all components"
        lines.append(
            f"  {upstream.name}: {upstream.url}, following {followed}, "
            f"every {upstream.interval_s:g} s"
        )
    return "\n".join(lines)


def _problem(probe: ProbeDefinition) -> str | None:
    """Say what keeps a probe from running here (variables by name only), or None."""
    if probe.is_heartbeat:
        return heartbeat_key_problem(probe.heartbeat_key, os.environ)
    missing = missing_env(probe, os.environ)
    return f"set {', '.join(missing)}" if missing else None


def _describe_heartbeat(probe: ProbeDefinition) -> str:
    """Return a heartbeat's line: when it expects beats, never its key."""
    problem = _problem(probe)
    state = f"NOT CONFIGURED ({problem})" if problem else "configured"
    source = ", ".join(f"${{{name}}}" for name in describe(probe)["env"]) or "written in the file"
    return (
        f"    - {probe.name} [{probe.key}]: heartbeat, POST /api/v1/heartbeats/<key> "
        f"(key {source}), expected every {every(probe.expect_every_s)}, "
        f"grace {every(probe.grace_s) if probe.grace_s else 'none'}: {state}"
    )
