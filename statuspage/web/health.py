"""The health check used by load balancers and uptime monitors."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from statuspage.reads.health import database_check
from statuspage.rules.confirmation import STALE_AFTER_INTERVALS
from statuspage.store.db import db, utcnow

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers and probing keeps up; 503 otherwise."""
    try:
        newest = database_check()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("health check: database unreachable (%s)", error.__class__.__name__)
        return jsonify(status="error", database="unreachable"), 503
    body: dict[str, object] = {"status": "ok", "database": "ok", "newest_result_age_s": None}
    probes = current_app.config["STATUS"].probes
    if newest is not None:
        # Never negative: a clock ahead of ours (an older version took results from the
        # future) must not read as fresher than fresh.
        age = max(0.0, (utcnow() - newest).total_seconds())
        body["newest_result_age_s"] = round(age, 1)
        limit = STALE_AFTER_INTERVALS * min((p.interval_s for p in probes), default=60)
        if age > limit:
            body.update(status="error", probes=f"stalled: no result for {age:.0f} s > {limit:g} s")
            return jsonify(body), 503
    return jsonify(body)
