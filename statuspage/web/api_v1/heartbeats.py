"""POST /api/v1/heartbeats/<key>: a beat from one of Capgo's own jobs.

No token: the key is the secret, as healthchecks.io does it. It is compared in constant time
against every configured heartbeat's, and never repeated: not in an answer, an error, a log
line (the request loggers' lines are redacted here too) or the OpenAPI document. A beat is
one row written; the probe process judges it (statuspage.engine.heartbeats).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import current_app

from probes.definitions import MAX_HEARTBEAT_KEY, MIN_HEARTBEAT_KEY
from statuspage.engine.heartbeats import find_heartbeat, receive_beat
from statuspage.rules.heartbeat import BEAT_FAIL, BEAT_OK
from statuspage.store import limits
from statuspage.store.db import utcnow
from statuspage.web.api_v1.bodies import CARRIED, Body, nullable
from statuspage.web.api_v1.errors import ApiError, redact_path

BEAT_MAX_BYTES = 4 * 1024
BEAT = Body(
    {
        "status": nullable(
            {
                "type": "string",
                "enum": [BEAT_OK, BEAT_FAIL],
                "description": "fail: the job ran and failed (the heartbeat is down at once). "
                "Left out: ok.",
            }
        ),
        "message": nullable(
            {
                "type": "string",
                "maxLength": limits.HEARTBEAT_MESSAGE,
                "pattern": CARRIED,
                "description": "A short note on how the run went; a failure's is quoted in "
                "the probe's reason.",
            }
        ),
    },
    optional=True,
)
KEY = {
    "type": "string",
    "pattern": f"^[A-Za-z0-9_-]{{{MIN_HEARTBEAT_KEY},{MAX_HEARTBEAT_KEY}}}$",
    "description": "The heartbeat's key, from the site's configuration: its only secret.",
}
BEAT_RECEIVED = {
    "type": "object",
    "properties": {
        "probe": {"type": "string", "description": "The heartbeat probe's key."},
        "status": {"type": "string", "enum": [BEAT_OK, BEAT_FAIL]},
        "received_at": {"type": "string", "format": "date-time"},
    },
    "required": ["probe", "status", "received_at"],
}


def record_beat(key: str, body: dict[str, Any]) -> dict[str, Any]:
    """Record one beat for the heartbeat whose key this is, or refuse without saying why."""
    status = body["status"] or BEAT_OK
    if status not in (BEAT_OK, BEAT_FAIL):
        raise ApiError(422, "invalid", "status must be ok or fail", "status")
    message = body["message"]
    if message is not None and len(message) > limits.HEARTBEAT_MESSAGE:
        raise ApiError(
            422,
            "invalid",
            f"message is longer than {limits.HEARTBEAT_MESSAGE} characters",
            "message",
        )
    definition = find_heartbeat(key, current_app.config["STATUS"].heartbeats, os.environ)
    if definition is None:
        raise ApiError(404, "not_found", "no heartbeat has this key")
    now = utcnow()
    receive_beat(definition.key, status, message, now)
    return {"probe": definition.key, "status": status, "received_at": now.isoformat()}


class RedactHeartbeatKeys(logging.Filter):
    """Keep heartbeat keys out of request log lines (werkzeug's, gunicorn's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the key in the message and its arguments; let the record through."""
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):  # gunicorn's atoms: changed in place, kept its type
            for name, value in list(record.args.items()):
                if isinstance(value, str):
                    record.args[name] = redact_path(value)
        return True


def redact_request_logs() -> None:
    """Install the filter on the loggers that write request lines (once)."""
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactHeartbeatKeys) for f in logger.filters):
            logger.addFilter(RedactHeartbeatKeys())
