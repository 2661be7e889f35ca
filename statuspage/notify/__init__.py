"""Reaching people: subscribers, the outbox, and delivery by mail, webhooks, chat and alerts.

events (what each change notifies, written in its own transaction), outbox (fan-out,
claims, outcomes), delivery (the lanes that drain it), mail, webhooks, chat, subscribers
(sign-up, tokens, what staff see) and alerts (probe locations that stop reporting).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def settings_from_environment() -> dict[str, Any]:
    """Read the delivery settings: STATUSPAGE_SMTP_URL, STATUSPAGE_MAIL_FROM and the rest."""
    return {
        "SMTP_URL": os.environ.get("STATUSPAGE_SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("STATUSPAGE_MAIL_FROM") or None,
        "MAIL_REPLY_TO": os.environ.get("STATUSPAGE_MAIL_REPLY_TO") or None,
        # For tests only: lets webhooks reach 127.0.0.0/8 and ::1 (and plain http there).
        "WEBHOOKS_ALLOW_LOOPBACK": os.environ.get("STATUSPAGE_WEBHOOKS_ALLOW_LOOPBACK") == "1",
        # How long a claim holds before another process may take it over (a crash's cost).
        "NOTIFY_LEASE_S": float(os.environ.get("STATUSPAGE_NOTIFY_LEASE_S") or 120),
    }


def init_app(app: Flask) -> None:
    """Check the delivery settings now, so a bad SMTP URL stops the start with one line."""
    from statuspage.notify.mail import SmtpSettings

    if app.config.get("SMTP_URL"):
        SmtpSettings.from_url(app.config["SMTP_URL"])
