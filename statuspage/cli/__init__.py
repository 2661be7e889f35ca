"""The `statuspage` command line: a Flask CLI group with the site's own commands."""

from __future__ import annotations

import logging
import os
import signal
import sys
from datetime import UTC
from pathlib import Path
from typing import NoReturn

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from click.core import ParameterSource
from flask import Flask
from flask.cli import FlaskGroup
from werkzeug.serving import run_simple

from probes import ProbeDefinition, Result, configured, default_location, describe, missing_env
from probes.agent import (
    DEFAULT_MAX_QUEUED,
    Agent,
    DiskQueue,
    QueueError,
    Reporter,
    default_queue_dir,
)
from statuspage import DEFAULT_CONFIG, create_app, schema_is_current
from statuspage.config import ConfigError, StatusConfig, load_config
from statuspage.engine import ProbeService

log = logging.getLogger("statuspage.probes")


def _fail(error: ConfigError) -> NoReturn:
    """Print a configuration problem on one line and stop with status 2."""
    click.echo(f"statuspage: {error}", err=True)
    sys.exit(2)


def _create_app() -> Flask:
    try:
        # The CLI is how development runs, so it may generate a local secret key.
        return create_app(dev_secret_key=True)
    except ConfigError as error:
        _fail(error)


def require_current_schema(app: Flask) -> None:
    """Stop with a clear line when the database needs `statuspage db upgrade` first."""
    with app.app_context():
        if not schema_is_current():
            _fail(ConfigError("the database schema is not current: run `statuspage db upgrade`"))


def _probe_service(app: Flask) -> ProbeService:
    try:
        return ProbeService(app)
    except ConfigError as error:  # a setting such as STATUSPAGE_LOCATION
        _fail(error)


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
        _probe_service(app).schedule(scheduler)
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
@click.option(
    "--report-to",
    metavar="URL",
    envvar="STATUSPAGE_REPORT_TO",
    help="Run as an agent: send results to the site at URL (its /api/v1/results) "
    "instead of a database, which the agent never opens. [env: STATUSPAGE_REPORT_TO]",
)
@click.option(
    "--token",
    metavar="TOKEN",
    envvar="STATUSPAGE_REPORT_TOKEN",
    help="The agent's token, of scope results. Prefer the variable: other users of this "
    "machine can read a command line. [env: STATUSPAGE_REPORT_TOKEN]",
)
@click.option(
    "--queue-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="STATUSPAGE_AGENT_QUEUE",
    help="Where an agent keeps results the site has not taken yet "
    "[default: $XDG_STATE_HOME/statuspage/agent-queue] [env: STATUSPAGE_AGENT_QUEUE]",
)
@click.option(
    "--queue-max",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_QUEUED,
    show_default=True,
    envvar="STATUSPAGE_AGENT_QUEUE_MAX",
    help="Most results an agent queues; beyond, the oldest are dropped. "
    "[env: STATUSPAGE_AGENT_QUEUE_MAX]",
)
def probe_command(
    once: bool,
    report_to: str | None,
    token: str | None,
    queue_dir: Path | None,
    queue_max: int,
) -> None:
    """Run the probes at their intervals and record every result (stop with Ctrl-C or SIGTERM).

    With --report-to, run as a probe agent at another location (STATUSPAGE_LOCATION): no
    database, results go to the site through its API, and wait on disk while it is unreachable.
    """
    if report_to is not None:
        run_agent(once, report_to, token, queue_dir, queue_max)
        return
    context = click.get_current_context()
    for name in ("token", "queue_dir"):
        if context.get_parameter_source(name) == ParameterSource.COMMANDLINE:
            raise click.UsageError(f"--{name.replace('_', '-')} is for agents: add --report-to")
    app = _create_app()
    require_current_schema(app)
    service = _probe_service(app)
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
    log_to_stderr()
    log_skipped(skipped)
    scheduler = BlockingScheduler(timezone=UTC)
    service.schedule(scheduler)
    stop_on_signals(scheduler)
    log.info("probing %d probes from %s", len(service.probes), service.location)
    scheduler.start()


def log_to_stderr() -> None:
    """Log at INFO: one line per result, plus warnings; not APScheduler's line per job run."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def log_skipped(skipped: list[ProbeDefinition]) -> None:
    """Log each probe left out because a variable it needs is unset."""
    for probe in skipped:
        log.info(
            "%s not configured (missing %s): skipped",
            probe.key,
            ", ".join(missing_env(probe, os.environ)),
        )


def stop_on_signals(scheduler: BlockingScheduler) -> None:
    """Stop the scheduler cleanly on SIGTERM and Ctrl-C."""

    def stop(signum: int, frame: object) -> None:
        log.info("received signal %d: stopping", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def run_agent(
    once: bool, report_to: str, token: str | None, queue_dir: Path | None, queue_max: int
) -> None:
    """Probe from this location and report to the site: no database, no app, only the config."""
    if not token or not token.strip():
        raise click.UsageError(
            "an agent needs a token of scope results: --token or STATUSPAGE_REPORT_TOKEN "
            "(create one on the site with `statuspage token create NAME --scope results`)"
        )
    path = os.environ.get("STATUSPAGE_CONFIG") or str(DEFAULT_CONFIG)
    try:
        config = load_config(path)
        reporter = Reporter(report_to, token)
    except (ConfigError, ValueError) as error:
        _fail(ConfigError(str(error)))
    try:
        queue = DiskQueue(queue_dir or default_queue_dir(os.environ), queue_max)
    except QueueError as error:
        reporter.close()
        _fail(ConfigError(str(error)))
    probes = configured(config.probes, os.environ)
    skipped = [p for p in config.probes if p not in probes]
    agent = Agent(probes, reporter, queue, location=default_location(os.environ))
    if once:
        try:
            results = agent.run_cycle()
            click.echo(results_table(config, results, skipped))
            waiting = len(queue)
        finally:
            agent.close()
        if waiting:
            why = agent.refused or agent.last_failure or "not sent"
            click.echo(
                f"statuspage: {waiting} results queued in {queue.path}, not delivered: {why}",
                err=True,
            )
            sys.exit(1)
        return
    log_to_stderr()
    log_skipped(skipped)
    scheduler = BlockingScheduler(timezone=UTC)
    agent.schedule(scheduler)
    stop_on_signals(scheduler)
    log.info(
        "agent probing %d probes from %s, reporting to %s (queue %s: %d waiting)",
        len(probes),
        agent.location,
        reporter.site_url,
        queue.path,
        len(queue),
    )
    try:
        scheduler.start()
    finally:
        agent.close()


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
from statuspage.cli import backup, content, tokens, users  # noqa: E402, F401
