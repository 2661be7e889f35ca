"""Fixtures for the probes tests: a loopback Capgo stand-in, plain and TLS."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/ is not a package and pytest may be run without the repository root on sys.path;
# the stand-in is imported as tests.standin so that the benchmark can share it.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.standin import CapgoStandIn  # noqa: E402


@pytest.fixture
def capgo() -> Iterator[CapgoStandIn]:
    """Serve healthy Capgo answers over HTTP on 127.0.0.1."""
    with CapgoStandIn() as standin:
        yield standin


@pytest.fixture
def capgo_tls() -> Iterator[CapgoStandIn]:
    """Serve Capgo answers over HTTPS with a certificate no default trust store accepts."""
    with CapgoStandIn(tls=True) as standin:
        yield standin
