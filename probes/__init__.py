"""Probes: run HTTP checks described by probe definitions and return plain results.

A library with no Flask and no database, so it can also run as an agent in another region.
"""

from probes.check import run_probe
from probes.definitions import (
    Outcome,
    ProbeDefinition,
    configured,
    describe,
    expand,
    missing_env,
    probe_key,
    slugify,
)
from probes.redact import secret_values
from probes.results import InvalidResult, Result, default_location
from probes.runner import ProbeRunner
from probes.transport import new_session

__all__ = [
    "InvalidResult",
    "Outcome",
    "ProbeDefinition",
    "ProbeRunner",
    "Result",
    "configured",
    "default_location",
    "describe",
    "expand",
    "missing_env",
    "new_session",
    "probe_key",
    "run_probe",
    "secret_values",
    "slugify",
]
