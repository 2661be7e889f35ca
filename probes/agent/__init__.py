"""A probe agent: runs the probes at its location and reports the results to the site."""

from probes.agent.agent import Agent
from probes.agent.queue import DEFAULT_MAX_QUEUED, DiskQueue, QueueError, default_queue_dir
from probes.agent.reporter import Reporter

__all__ = [
    "DEFAULT_MAX_QUEUED",
    "Agent",
    "DiskQueue",
    "QueueError",
    "Reporter",
    "default_queue_dir",
]
