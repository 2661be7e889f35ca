"""`statuspage run` and `statuspage probe`: serve the site, run the probes, or be an agent."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from datetime import UTC
from pathlib import Path

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from click.core import ParameterSource
from flask import Flask
from werkzeug.serving import run_simple

from probes import ProbeDefinition, Result, configured, default_location, missing_env
from probes.agent import (
    DEFAULT_MAX_QUEUED,
    Agent,
    DiskQueue,
    QueueError,
    Reporter,
    default_queue_dir,
)
from probes.upstream import Reading
from statuspage.cli.common import config_path, create_cli_app, fail, require_current_schema
from statuspage.config import ConfigError, StatusConfig, load_config
from statuspage.engine import ProbeService
from statuspage.observe.probes import ObservedRunner, ProbeMetrics, metrics_port

log = logging.getLogger("statuspage.probes")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-probes", is_flag=True, help="Serve only; run no probes in this process.")
def run_command(host: str, port: int, no_probes: bool) -> None:
    """Serve the site with the development server and its probe scheduler beside it.

    Production serves with gunicorn wsgi:app and runs `statuspage probe` as its own process.
    """
    app = create_cli_app()
    require_current_schema(app)
    scheduler = None
    if not no_probes:
        scheduler = BackgroundScheduler(timezone=UTC)
        service = _probe_service(app)
        serve_probe_metrics(service.metrics)
        service.schedule(scheduler)
        scheduler.start()
    click.echo(f"Serving {app.config['STATUS'].site.name} status on http://{host}:{port}/")
    try:
        # No reloader: it would start a second process, and with it a second probe scheduler.
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        if scheduler:
            scheduler.shutdown(wait=False)


@click.command("probe")
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
    app = create_cli_app()
    require_current_schema(app)
    service = _probe_service(app)
    judged = service.probes + service.heartbeats
    skipped = [p for p in app.config["STATUS"].probes if p not in judged]
    if once:
        results = service.run_once()
        click.echo(results_table(app.config["STATUS"], results, skipped, service.readings))
        if service.pending:
            click.echo(
                f"statuspage: {len(service.pending)} results not recorded: "
                "the database is unreachable",
                err=True,
            )
            sys.exit(1)
        return
    scheduler = probing_scheduler(service.schedule, skipped)
    serve_probe_metrics(service.metrics)
    log.info("probing %d probes from %s", len(service.probes), service.location)
    scheduler.start()


def probing_scheduler(
    schedule: Callable[[BlockingScheduler], None], skipped: list[ProbeDefinition]
) -> BlockingScheduler:
    """Return a scheduler with the probes on it that stops on signals; log what was skipped."""
    log_to_stderr()
    log_skipped(skipped)
    scheduler = BlockingScheduler(timezone=UTC)
    schedule(scheduler)
    stop_on_signals(scheduler)
    return scheduler


def serve_probe_metrics(metrics: ProbeMetrics) -> None:
    """Serve the probes' metrics on 127.0.0.1 when STATUSPAGE_PROBE_METRICS_PORT is set."""
    try:
        port = metrics_port(os.environ)
    except ValueError as error:
        fail(ConfigError(str(error)))
    if port is None:
        return
    try:
        metrics.serve(port)
    except OSError as error:  # the port is taken
        fail(ConfigError(f"STATUSPAGE_PROBE_METRICS_PORT: cannot listen on port {port}: {error}"))


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
    try:
        config = load_config(config_path())
        reporter = Reporter(report_to, token)
    except (ConfigError, ValueError) as error:
        fail(ConfigError(str(error)))
    try:
        queue = DiskQueue(queue_dir or default_queue_dir(os.environ), queue_max)
    except QueueError as error:
        reporter.close()
        fail(ConfigError(str(error)))
    # Heartbeats are judged by the site from the beats it receives: an agent has none.
    probes = configured(config.http_probes, os.environ)
    skipped = [p for p in config.http_probes if p not in probes]
    metrics = ProbeMetrics()
    runner = ObservedRunner(metrics, max_workers=max(32, len(probes)))
    agent = Agent(probes, reporter, queue, location=default_location(os.environ), runner=runner)
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
    scheduler = probing_scheduler(agent.schedule, skipped)
    serve_probe_metrics(metrics)
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


def results_table(
    config: StatusConfig,
    results: list[Result],
    skipped: list,
    readings: Mapping[str, Reading | None] | None = None,
) -> str:
    """Return a plain-text table of one run: component, probe, outcome, latency, reason.

    The providers read in the run follow, as "upstream" rows.
    """
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
    for upstream in config.upstreams:
        if readings is None or upstream.slug not in readings:
            continue
        reading = readings[upstream.slug]
        if reading is None:
            rows.append(("upstream", upstream.name, "skipped", "-", "read less than a minute ago"))
            continue
        latency = "-" if reading.latency_ms is None else f"{reading.latency_ms:.0f} ms"
        outcome = reading.outcome.replace("_", " ")
        rows.append(("upstream", upstream.name, outcome, latency, reading.reason))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    ).rstrip()


def _probe_service(app: Flask) -> ProbeService:
    try:
        return ProbeService(app)
    except ConfigError as error:  # a setting such as STATUSPAGE_LOCATION
        fail(error)
