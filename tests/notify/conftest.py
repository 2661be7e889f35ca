"""Fixtures of the notification tests: a real SMTP server and webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.helpers import HookReceiver, MailServer


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def hooks() -> Iterator[HookReceiver]:
    with HookReceiver() as receiver:
        yield receiver


@pytest.fixture
def settings(smtp: MailServer) -> dict[str, object]:
    return {
        "SMTP_URL": smtp.url,
        "MAIL_FROM": "Capgo Status <status@capgo.app>",
        "MAIL_REPLY_TO": "support@capgo.app",
        "WEBHOOKS_ALLOW_LOOPBACK": True,
        "WEBHOOK_TIMEOUT_S": 2,
        "NOTIFY_RETRY_BASE_S": 0,
        "NOTIFY_POLL_S": 0.05,
        "WTF_CSRF_ENABLED": False,
    }
