"""The `statuspage` command line: a Flask CLI group with the site's own commands."""

from __future__ import annotations

import logging
import os
import signal
import sys
from datetime import UTC

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from probes import Result, describe, missing_env
from statuspage import DEFAULT_CONFIG, create_app, schema_is_current
from statuspage.config import ConfigError, StatusConfig, load_config
from statuspage.scheduler import ProbeService

log = logging.getLogger("statuspage.probes")


def _fail(error: ConfigError) -> None:
    """Print a configuration problem on one line and stop with status 2."""
    click.echo(f"statuspage: {error}", err=True)
    sys.exit(2)


def _create_app() -> Flask:
    try:
        # The CLI is how development runs, so it may generate a local secret key.
        return create_app(dev_secret_key=True)
    except ConfigError as error:
        _fail(error)
        raise  # unreachable: _fail exits


def require_current_schema(app: Flask) -> None:
    """Stop with a clear line when the database needs `statuspage db upgrade` first."""
    with app.app_context():
        if not schema_is_current():
            _fail(ConfigError("the database schema is not current: run `statuspage db upgrade`"))


cli = FlaskGroup(
    name="statuspage",
    create_app=_create_app,
    help="Run and manage the status site. Settings come from STATUSPAGE_* variables.",
)


@cli.command("run", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-probes", is_flag=True, help="Serve only; run no probes in this process.")
def run_command(host: str, port: int, no_probes: bool) -> None:
    """Serve the site with the development server and its probe scheduler beside it.

    Production serves with gunicorn wsgi:app and runs `statuspage probe` as its own process.
    """
    app = _create_app()
    require_current_schema(app)
    scheduler = None
    if not no_probes:
        scheduler = BackgroundScheduler(timezone=UTC)
        ProbeService(app).schedule(scheduler)
        scheduler.start()
    click.echo(f"Serving {app.config['STATUS'].site.name} status on http://{host}:{port}/")
    try:
        # No reloader: it would start a second process, and with it a second probe scheduler.
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        if scheduler:
            scheduler.shutdown(wait=False)


@cli.command("probe", with_appcontext=False)
@click.option("--once", is_flag=True, help="Run every probe once, print a table and exit.")
def probe_command(once: bool) -> None:
    """Run the probes at their intervals and record every result (stop with Ctrl-C or SIGTERM)."""
    app = _create_app()
    require_current_schema(app)
    service = ProbeService(app)
    skipped = [p for p in app.config["STATUS"].probes if p not in service.probes]
    if once:
        results = service.run_once()
        click.echo(results_table(app.config["STATUS"], results, skipped))
        if service.pending:
            click.echo(
                f"statuspage: {len(service.pending)} results not recorded: "
                "the database is unreachable",
                err=True,
            )
            sys.exit(1)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for probe in skipped:
        log.info(
            "%s not configured (missing %s): skipped",
            probe.key,
            ", ".join(missing_env(probe, os.environ)),
        )
    scheduler = BlockingScheduler(timezone=UTC)
    service.schedule(scheduler)

    def stop(signum: int, frame: object) -> None:
        log.info("received signal %d: stopping", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("probing %d probes from %s", len(service.probes), service.location)
    scheduler.start()


def results_table(config: StatusConfig, results: list[Result], skipped: list) -> str:
    """Return a plain-text table of one run: component, probe, outcome, latency, reason."""
    names = {c.slug: c.name for c in config.components}
    probe_names = {p.key: p.name for p in config.probes}
    rows = [("COMPONENT", "PROBE", "OUTCOME", "LATENCY", "REASON")]
    for result in results:
        latency = "-" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
        rows.append(
            (
                names.get(result.component, result.component),
                probe_names.get(result.probe_key, result.probe_key),
                str(result.outcome),
                latency,
                result.reason,
            )
        )
    for probe in skipped:
        rows.append((names[probe.component], probe.name, "skipped", "-", "not configured"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    ).rstrip()


@cli.group("config")
def config_group() -> None:
    """Inspect the configuration file."""


@config_group.command("check", with_appcontext=False)
def config_check() -> None:
    """Validate the configuration file and print a summary of it."""
    path = os.environ.get("STATUSPAGE_CONFIG") or str(DEFAULT_CONFIG)
    try:
        config = load_config(path)
    except ConfigError as error:
        _fail(error)
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
        lines.append(f"  {component.slug}: {component.name}{group}")
        for probe in component.probes:
            missing = missing_env(probe, os.environ)
            state = f"NOT CONFIGURED (set {', '.join(missing)})" if missing else "configured"
            shown = describe(probe)
            headers = "".join(f", {name}: {value}" for name, value in shown["headers"].items())
            lines.append(
                f"    - {probe.name} [{probe.key}]: {shown['method']} {shown['url']}{headers}, "
                f"every {probe.interval_s:g} s, timeout {probe.timeout_s:g} s: {state}"
            )
    probes = config.probes
    ready = [p for p in probes if not missing_env(p, os.environ)]
    lines.append(f"probes: {len(ready)} configured, {len(probes) - len(ready)} not configured")
    return "\n".join(lines)


# Command groups kept in their own modules register themselves on `cli` when imported.
from statuspage import cli_backup, cli_content, cli_tokens, cli_users  # noqa: E402, F401
