"""Export the site's data to JSON, and import such an export into an empty database.

Everything public is exported (components, status history, incidents, updates and their
revisions, probe results and rollups, daily uptime, the audit log), so a round trip
reproduces every page and API response. Secrets are not: staff password hashes, API token
hashes and sign-in failures stay behind (accounts and tokens are made again after a restore).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, Table, func, insert, select, text

from statuspage.store.db import UTCDateTime, db

FORMAT = "capgo-statuspage-export"
FORMAT_VERSION = 1
EXCLUDED_TABLES = {"user", "api_token", "sign_in_failure", "alembic_version"}
# Personal data, exported only when asked for (`--with-subscribers`); the outbox never is.
SUBSCRIBER_TABLES = {"subscriber", "subscriber_component"}
EXCLUDED_TABLES |= {"notification_event", "notification", "sign_up_attempt"}
# Rows the app creates by itself on start, which an import may replace.
REPLACEABLE_TABLES = {"component", "site_state"}


class BackupError(Exception):
    """An export file that cannot be imported here, with what is wrong."""


def _tables(with_subscribers: bool = True) -> list[Table]:
    return [
        t
        for t in db.metadata.sorted_tables
        if t.name not in EXCLUDED_TABLES and (with_subscribers or t.name not in SUBSCRIBER_TABLES)
    ]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_data(now: datetime, *, with_subscribers: bool = False) -> dict[str, Any]:
    """Return every exported table's rows, in primary-key order (subscribers when asked)."""
    tables = {}
    for table in _tables(with_subscribers):
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        tables[table.name] = [{key: _encode(value) for key, value in row.items()} for row in rows]
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "tables": tables,
    }


def _decoder(table: Table) -> dict[str, Any]:
    """Return, per column that needs one, the function that turns JSON back into a value."""
    decoders: dict[str, Any] = {}
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            decoders[column.name] = datetime.fromisoformat
        elif isinstance(column.type, Date):
            decoders[column.name] = date.fromisoformat
    return decoders


def import_data(data: Any) -> dict[str, int]:
    """Load an export into an empty database in one transaction; return rows per table."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"not a {FORMAT} file")
    if data.get("version") != FORMAT_VERSION:
        raise BackupError(f"export version {data.get('version')!r} is not {FORMAT_VERSION}")
    exported = data.get("tables")
    if not isinstance(exported, dict):
        raise BackupError("'tables' is missing")
    tables = _tables()
    known = {table.name for table in tables}
    unknown = sorted(set(exported) - known)
    if unknown:
        raise BackupError(f"unknown table {unknown[0]!r}: was it exported by a newer version?")
    for table in tables:
        if table.name in REPLACEABLE_TABLES:
            continue
        if db.session.execute(select(func.count()).select_from(table)).scalar():
            raise BackupError(f"the database is not empty (table {table.name!r} has rows)")

    counts: dict[str, int] = {}
    try:
        # Children first when clearing, parents first when filling.
        for table in reversed(tables):
            if table.name in REPLACEABLE_TABLES:
                db.session.execute(table.delete())
        for table in tables:
            rows = exported.get(table.name, [])
            if not isinstance(rows, list):
                raise BackupError(f"table {table.name!r}: rows must be a list")
            decoders = _decoder(table)
            columns = {column.name for column in table.columns}
            values = []
            for number, row in enumerate(rows):
                if not isinstance(row, dict) or set(row) - columns:
                    raise BackupError(f"table {table.name!r}, row {number}: unexpected columns")
                values.append(
                    {
                        key: decoders[key](value)
                        if key in decoders and value is not None
                        else value
                        for key, value in row.items()
                    }
                )
            if values:
                db.session.execute(insert(table), values)
            counts[table.name] = len(values)
        _reset_sequences(tables)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def _reset_sequences(tables: list[Table]) -> None:
    """Move PostgreSQL's id sequences past the imported ids (SQLite needs nothing)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and isinstance(key[0].type, Integer) and key[0].autoincrement:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{key[0].name}'), "
                    f'COALESCE((SELECT MAX({key[0].name}) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def dumps(data: dict[str, Any]) -> str:
    """Serialise an export deterministically."""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
