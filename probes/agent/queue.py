"""An agent's queue: results waiting for the site, on disk, bounded, safe from a crash."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from probes.results import Result

log = logging.getLogger("probes.agent")

# At the default 23 probes a minute, 50,000 results is about 36 hours of outage (some 15 MB).
DEFAULT_MAX_QUEUED = 50_000


def default_queue_dir(environ: Mapping[str, str]) -> Path:
    """Return the queue folder under the user's state directory (``$XDG_STATE_HOME``)."""
    state = environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "statuspage" / "agent-queue"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "statuspage" / "agent-queue"


class QueueError(Exception):
    """The queue folder cannot be used: not writable, or another agent holds it."""


class DiskQueue:
    """Results waiting to be sent, oldest first, in a JSON-lines file that survives a crash.

    Each line is one ``Result.to_dict()``. New results are appended and fsynced; anything else
    (forgetting sent results, dropping the oldest) writes a temporary file and renames it over
    the queue. A kill at any moment so leaves the old file or the new one, at worst with a torn
    last line, which loading skips with a warning. A lock file keeps a second agent out.

    At most ``max_results`` are kept: the oldest go first, with a warning. Sent and dropped
    results may linger in the file (up to a tenth more lines) until the next rewrite; should
    the agent stop before that, they are sent again and the site counts them as duplicates.
    """

    FILE_NAME = "results.jsonl"
    LOCK_NAME = "lock"

    def __init__(self, directory: Path | str, max_results: int = DEFAULT_MAX_QUEUED) -> None:
        if max_results < 1:
            raise ValueError("a queue must hold at least one result")
        self.directory = Path(directory)
        self.path = self.directory / self.FILE_NAME
        self.max_results = max_results
        self._slack = max(100, max_results // 10)
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, str] = OrderedDict()  # result id -> its JSON line
        self._lines_on_disk = 0
        self._outdated = False  # the file holds lines that are no longer queued
        self._torn = False  # a write failed part way: rewrite before appending again
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._lock_file = open(self.directory / self.LOCK_NAME, "a+b")  # noqa: SIM115
        except OSError as error:
            raise QueueError(f"cannot use the queue folder {self.directory}: {error}") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise QueueError(f"another agent is using the queue in {self.directory}") from None
        try:
            self._load()
        except OSError as error:
            self.close()
            raise QueueError(f"cannot read the queue {self.path}: {error}") from None

    def __len__(self) -> int:
        """Return how many results wait."""
        with self._lock:
            return len(self._entries)

    def _load(self) -> None:
        """Read the file, skipping unreadable lines, and keep the newest ``max_results``."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        lines = [line for line in data.split(b"\n") if line.strip()]
        unreadable = 0
        for line in lines:
            try:
                entry = json.loads(line)
                Result.from_dict(entry)
            except ValueError:  # a torn line, or bytes that are not a result
                unreadable += 1
                continue
            self._entries[entry["id"]] = json.dumps(entry, separators=(",", ":"))
        self._lines_on_disk = len(lines)
        if unreadable:
            log.warning(
                "agent queue %s: skipped %d unreadable line%s (a write cut short by a crash?)",
                self.path,
                unreadable,
                "" if unreadable == 1 else "s",
            )
            self._torn = True
        self._drop_oldest()
        if self._torn or self._outdated or not data.endswith(b"\n"):
            self._rewrite()

    def put(self, results: Iterable[Result]) -> None:
        """Queue results (a result already queued is not queued twice), dropping the oldest
        beyond the bound; results that cannot be written stay queued in memory, with an error."""
        with self._lock:
            lines = []
            for result in results:
                if result.id not in self._entries:
                    line = json.dumps(result.to_dict(), separators=(",", ":"))
                    self._entries[result.id] = line
                    lines.append(line)
            if not lines:
                return
            self._drop_oldest()
            try:
                if self._torn or self._lines_on_disk + len(lines) > self.max_results + self._slack:
                    self._rewrite()
                else:
                    self._append(lines)
            except OSError as error:
                self._torn = True
                log.error(
                    "agent queue %s cannot be written (%s): %d results are kept in memory only",
                    self.path,
                    error,
                    len(self._entries),
                )

    def oldest(self, count: int) -> list[dict[str, Any]]:
        """Return up to ``count`` queued results as dicts, oldest first (they stay queued)."""
        with self._lock:
            return [json.loads(line) for line in islice(self._entries.values(), count)]

    def discard(self, ids: Iterable[str]) -> None:
        """Forget results (sent, or refused for good); ``persist()`` writes it down."""
        with self._lock:
            for result_id in ids:
                if self._entries.pop(result_id, None) is not None:
                    self._outdated = True

    def persist(self) -> None:
        """Rewrite the file when it holds results no longer queued (raises ``OSError``)."""
        with self._lock:
            if self._outdated or self._torn:
                self._rewrite()

    def close(self) -> None:
        """Write the queue down and release the folder for another agent."""
        if self._lock_file.closed:
            return
        try:
            self.persist()
        except OSError as error:
            log.error("agent queue %s cannot be written (%s)", self.path, error)
        finally:
            self._lock_file.close()  # closing releases the lock

    def _drop_oldest(self) -> None:
        """Drop the oldest results beyond the bound, saying which."""
        excess = len(self._entries) - self.max_results
        if excess <= 0:
            return
        dropped = [self._entries.popitem(last=False)[1] for _ in range(excess)]
        log.warning(
            "agent queue full (at most %d results): dropped the %d oldest, started %s to %s",
            self.max_results,
            excess,
            json.loads(dropped[0])["started_at"],
            json.loads(dropped[-1])["started_at"],
        )
        self._outdated = True

    def _append(self, lines: Sequence[str]) -> None:
        with open(self.path, "ab") as file:
            file.write("".join(line + "\n" for line in lines).encode())
            file.flush()
            os.fsync(file.fileno())
        self._lines_on_disk += len(lines)

    def _rewrite(self) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "wb") as file:
            file.write("".join(line + "\n" for line in self._entries.values()).encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        # The rename itself is durable only once the folder is synced.
        folder = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self._lines_on_disk = len(self._entries)
        self._outdated = self._torn = False
