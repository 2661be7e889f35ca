"""What the health check reads: whether the database answers, and how fresh the results are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from statuspage.reads.status import newest_result_at
from statuspage.store.db import db


def database_check() -> datetime | None:
    """Ask the database a trivial question, then when the newest stored result started.

    Raises SQLAlchemyError when the database cannot be reached.
    """
    db.session.execute(text("SELECT 1"))
    return newest_result_at()
