"""Exactly once under stress: two drains at once, and `kill -9` in the middle of a fan-out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import insert

from statuspage.notify.delivery import Deliverer
from statuspage.store.db import db, utcnow
from statuspage.store.models import Notification, Subscriber
from tests.conftest import REPO_ROOT
from tests.notify.flows import open_incident


def many_subscribers(app, count: int) -> None:
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(Subscriber),
            [
                {
                    "code": f"s{n:011d}",
                    "kind": "email",
                    "identity": f"id{n}",
                    "email": f"person{n}@example.com",
                    "language": "en",
                    "created_at": now,
                    "confirmed_at": now,
                }
                for n in range(count)
            ],
        )
        db.session.commit()


def incident_mail_counts(smtp) -> Counter[str]:
    return Counter(str(m["To"]) for m in smtp.messages if "incident" in m["Subject"].lower())


def test_two_drains_at_once_send_each_mail_once(app, smtp) -> None:
    many_subscribers(app, 300)
    open_incident(app, components={})
    drains = [threading.Thread(target=Deliverer(app).drain) for _ in range(2)]
    for thread in drains:
        thread.start()
    for thread in drains:
        thread.join()
    counts = incident_mail_counts(smtp)
    assert len(counts) == 300 and set(counts.values()) == {1}


@pytest.mark.slow
def test_kill_9_mid_fan_out_loses_nothing(app, smtp, report_figure) -> None:
    total = 1000
    many_subscribers(app, total)
    open_incident(app, components={})
    env = {
        **os.environ,
        "STATUSPAGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STATUSPAGE_CONFIG": app.config["STATUSPAGE_CONFIG"],
        "STATUSPAGE_SECRET_KEY": app.config["SECRET_KEY"],
        "STATUSPAGE_SMTP_URL": smtp.url,
        "STATUSPAGE_NOTIFY_LEASE_S": "2",
    }
    command = [sys.executable, "-m", "statuspage", "deliver"]
    process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(smtp.messages) < total // 3:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    received_at_kill = len(smtp.messages)
    with app.app_context():
        sent = db.session.execute(
            db.select(db.func.count()).where(Notification.state == "sent")
        ).scalar()
        in_flight = db.session.execute(
            db.select(db.func.count()).where(
                Notification.state == "pending", Notification.claim.is_not(None)
            )
        ).scalar()
    assert 0 < received_at_kill < total, "the kill must land in the middle of the fan-out"
    time.sleep(2.5)  # the dead process's claims lapse
    again = subprocess.run(
        [*command, "--once"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    counts = incident_mail_counts(smtp)
    duplicates = sum(n - 1 for n in counts.values())
    assert len(counts) == total  # none lost
    assert duplicates <= in_flight  # at most what was on the wire when it died
    report_figure(
        f"notify kill -9: fan-out of {total} mails killed after {received_at_kill} received "
        f"({sent} marked sent, {in_flight} claimed in flight); after restart all {total} "
        f"delivered, {duplicates} duplicates"
    )
