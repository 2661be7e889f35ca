"""The agent's queue on disk: bounded, repaired after a torn write, never shared, kill-safe."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from probes.agent.queue import DiskQueue, QueueError
from statuspage.store.db import utcnow
from tests.conftest import REPO_ROOT
from tests.probes.helpers import result


def test_queue_full_drops_the_oldest_and_keeps_the_newest(tmp_path, caplog) -> None:
    made = [result(started_at=utcnow() + timedelta(seconds=i)) for i in range(8)]
    queue = DiskQueue(tmp_path, max_results=5)
    queue.put(made[:3])
    queue.put(made[3:])
    newest = [r.id for r in made[3:]]
    assert [entry["id"] for entry in queue.oldest(10)] == newest
    assert "queue full (at most 5 results): dropped the 3 oldest" in caplog.text
    queue.put(made[-1:])  # already queued: not twice
    assert len(queue) == 5
    queue.close()
    reopened = DiskQueue(tmp_path, max_results=5)
    assert [entry["id"] for entry in reopened.oldest(10)] == newest
    reopened.close()


def test_torn_last_line_is_skipped_and_the_file_repaired(tmp_path, caplog) -> None:
    made = [result() for _ in range(3)]
    lines = [json.dumps(r.to_dict()) for r in made]
    path = tmp_path / DiskQueue.FILE_NAME
    path.write_text("\n".join(lines) + "\n" + lines[0][:37])  # killed in mid-write
    queue = DiskQueue(tmp_path)
    assert [entry["id"] for entry in queue.oldest(10)] == [r.id for r in made]
    assert "skipped 1 unreadable line" in caplog.text
    later = result()
    queue.put([later])
    queue.close()
    text = path.read_text()
    assert text.endswith("\n")
    assert [json.loads(line)["id"] for line in text.splitlines()] == [
        *(r.id for r in made),
        later.id,
    ]


WRITER = """
import sys, time
from datetime import UTC, datetime
from probes import Outcome, Result
from probes.agent.queue import DiskQueue

queue = DiskQueue(sys.argv[1], max_results=50)
start = len(queue) and int(queue.oldest(10**6)[-1]["reason"].rstrip("x")) + 1
print("ready", flush=True)
for n in range(start, start + 10**6):
    result = Result(probe_key="live-updates/worker", component="live-updates", location="eu",
                    started_at=datetime.now(UTC), latency_ms=1.0, outcome=Outcome.UP,
                    http_status=200, reason=str(n) + "x" * 200)
    queue.put([result])
    if n % 7 == 0:  # as if a batch was delivered
        queue.discard([entry["id"] for entry in queue.oldest(3)])
        queue.persist()
"""


def test_kill_9_while_writing_never_leaves_an_unreadable_queue(tmp_path) -> None:
    for attempt in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
            time.sleep(0.1 + 0.07 * attempt)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=10)
        queue = DiskQueue(tmp_path, max_results=50)
        numbers = [int(entry["reason"].rstrip("x")) for entry in queue.oldest(10**6)]
        queue.close()
        assert 0 < len(numbers) <= 50
        assert numbers == sorted(set(numbers))  # in order, none twice


def test_a_second_agent_cannot_share_a_queue(tmp_path) -> None:
    first = DiskQueue(tmp_path)
    with pytest.raises(QueueError, match="another agent"):
        DiskQueue(tmp_path)
    first.close()
    DiskQueue(tmp_path).close()
