"""The health check used by load balancers and uptime monitors."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from statuspage.db import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database is reachable, 503 when it is not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("health check: database unreachable (%s)", error.__class__.__name__)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
