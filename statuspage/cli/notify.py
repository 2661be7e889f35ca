"""`statuspage deliver` and `statuspage subscribers`: drain the outbox, manage subscribers."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from statuspage.cli.common import fail, require_current_schema, when
from statuspage.cli.serve import log_to_stderr
from statuspage.config import ConfigError
from statuspage.notify import listing, outcomes, subscribers
from statuspage.notify.delivery import Deliverer
from statuspage.store.db import utcnow


@click.command("deliver")
@click.option("--once", is_flag=True, help="Deliver everything due now, then exit 0.")
@with_appcontext
def deliver_command(once: bool) -> None:
    """Deliver the outbox's notifications in the foreground (stop with Ctrl-C or SIGTERM).

    The probe process (`statuspage probe`, and `statuspage run`) does this in its background;
    several may run at once, on PostgreSQL, without sending anything twice.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    require_current_schema(app)
    try:
        deliverer = Deliverer(app)
    except ConfigError as error:
        fail(error)
    log_to_stderr()
    if once:
        counts = deliverer.drain()
        due, later = outcomes.waiting(utcnow())
        line = (
            f"delivered {counts['sent']}, failed {counts['failed']}, "
            f"{counts['retried']} to retry; {later} waiting for a retry"
        )
        if deliverer.smtp is None and due:
            line += f"; {due} waiting for mail: STATUSPAGE_SMTP_URL is not set"
        click.echo(line)
        return

    def stop(signum: int, frame: object) -> None:
        deliverer.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    mail = deliverer.smtp.safe if deliverer.smtp else "not configured"
    click.echo(f"delivering (mail: {mail}); Ctrl-C stops", err=True)
    deliverer.start()
    while not deliverer.stopping.wait(0.5):
        pass
    deliverer.stop(timeout=15)


@click.group("subscribers")
def subscribers_group() -> None:
    """List, export and remove subscribers (a person may ask for their data to go)."""


@subscribers_group.command("list")
@click.option("--search", default=None, help="Only those whose address or URL contains this.")
@with_appcontext
def list_command(search: str | None) -> None:
    """Print one line per subscriber: code, kind, state, address, what it follows, since."""
    require_current_schema(current_app)
    for s in listing.find(search, limit=1_000_000):
        follows = (
            f"incident {s.incident.code}"
            if s.incident
            else (",".join(c.slug for c in s.components) or "everything")
        )
        host = (s.url or "").split("/")[2] if "//" in (s.url or "") else ""
        address = " ".join(part for part in (s.email or "", host) if part)
        click.echo(
            f"{s.code}  {s.kind:8}  {listing.state_of(s):11}  {address}  {follows}  "
            f"{when(s.created_at, '-')}"
        )


@subscribers_group.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(file: Path | None) -> None:
    """Write every subscriber as CSV (no secrets), to FILE or stdout."""
    require_current_schema(current_app)
    text = listing.export_csv(listing.find(limit=1_000_000))
    if file is None:
        click.echo(text, nl=False)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"exported to {file}", err=True)


@subscribers_group.command("remove")
@click.argument("who", nargs=-1, required=True)
@with_appcontext
def remove_command(who: tuple[str, ...]) -> None:
    """Delete every subscription of each ADDRESS (or the one with each CODE), with its data."""
    require_current_schema(current_app)
    missing = []
    for value in who:
        removed = subscribers.remove(value)
        if removed:
            click.echo(f"removed {removed} subscription{'s' if removed != 1 else ''} of {value}")
        else:
            missing.append(value)
    if missing:
        click.echo(f"statuspage: no subscriber {', '.join(missing)}", err=True)
        sys.exit(1)
