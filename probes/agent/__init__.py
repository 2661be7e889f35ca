"""A probe agent: runs the probes at its location and reports the results to the site."""

from probes.agent.agent import Agent, Reporter
from probes.agent.queue import DEFAULT_MAX_QUEUED, DiskQueue, QueueError, default_queue_dir

__all__ = [
    "DEFAULT_MAX_QUEUED",
    "Agent",
    "DiskQueue",
    "QueueError",
    "Reporter",
    "default_queue_dir",
]
