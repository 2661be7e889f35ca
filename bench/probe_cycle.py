"""Benchmark the prober against the loopback Capgo stand-in (contacts 127.0.0.1 only).

Run from the repository root: ``.venv/bin/python bench/probe_cycle.py``

(a) One cycle of 100 probes, half of them hanging past a 2 s timeout: wall time, and its ratio
    to the timeout (target < 1.5x with enough workers for the whole cycle).
(b) Latency accuracy: the stand-in answers exactly 300 ms after reading each request; 50
    sequential probes; median and worst difference between measured and true latency
    (target: median within 5% + 10 ms).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

# The stand-in lives in tests/, which is not installed: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from probes import Outcome, ProbeDefinition, ProbeRunner, run_probe  # noqa: E402
from tests.standin import HANG, CapgoStandIn, delay_ms  # noqa: E402

TIMEOUT_S = 2.0
PROBES = 100
TRUE_LATENCY_MS = 300.0
SEQUENTIAL = 50


def cycle(standin: CapgoStandIn, max_workers: int) -> tuple[float, dict[Outcome, int], float]:
    """Run one cycle; return wall seconds, outcome counts and the slowest healthy latency."""
    definitions = [
        ProbeDefinition.build(
            "bench",
            f"probe {n}",
            f"{standin.url}/{'hang' if n % 2 else 'ok'}",
            timeout_s=TIMEOUT_S,
        )
        for n in range(PROBES)
    ]
    with ProbeRunner(max_workers=max_workers) as runner:
        start = time.monotonic()
        results = runner.run_cycle(definitions, location="bench", environ={})
        took = time.monotonic() - start
    counts = {outcome: sum(r.outcome is outcome for r in results) for outcome in Outcome}
    healthy = [r.latency_ms or 0.0 for r in results if r.outcome is Outcome.UP]
    return took, counts, max(healthy, default=0.0)


def latency_accuracy(standin: CapgoStandIn) -> list[float]:
    """Return measured-minus-true latency (ms) for sequential probes of a 300 ms endpoint."""
    definition = ProbeDefinition.build(
        "bench", "delayed", f"{standin.url}/ok", timeout_s=5, degraded_ms=1000
    )
    differences = []
    for _ in range(SEQUENTIAL):
        result = run_probe(definition, location="bench", environ={})
        assert result.outcome is Outcome.UP and result.latency_ms is not None, result
        differences.append(result.latency_ms - TRUE_LATENCY_MS)
    return differences


def main() -> int:
    """Run both measurements and print them; return 0 when the targets are met."""
    with CapgoStandIn() as standin:
        standin.set("/hang", HANG)
        print(f"(a) one cycle: {PROBES} probes, {PROBES // 2} hanging, timeout {TIMEOUT_S:g} s")
        ok_a = True
        for workers in (PROBES, 32):
            took, counts, slowest = cycle(standin, workers)
            ratio = took / TIMEOUT_S
            tally = ", ".join(f"{counts[o]} {o.value}" for o in Outcome)
            note = "target < 1.5x" if workers >= PROBES else "fewer workers than probes: batches"
            print(
                f"    max_workers={workers:>3}: wall {took:.3f} s, {ratio:.2f}x timeout ({note});"
                f" {tally}; slowest healthy probe {slowest:.1f} ms"
            )
            if workers >= PROBES:
                ok_a = ratio < 1.5 and counts[Outcome.UP] == PROBES // 2

        standin.reset()
        standin.set("/ok", delay_ms(TRUE_LATENCY_MS))
        differences = latency_accuracy(standin)
        median = statistics.median(differences)
        worst = max(differences, key=abs)
        limit = TRUE_LATENCY_MS * 0.05 + 10
        print(
            f"(b) latency accuracy: {SEQUENTIAL} sequential probes of a {TRUE_LATENCY_MS:g} ms"
            " endpoint"
        )
        print(
            f"    measured - true: median {median:+.2f} ms, worst {worst:+.2f} ms,"
            f" best {min(differences, key=abs):+.2f} ms (target: median within {limit:g} ms)"
        )
        ok_b = abs(median) <= limit
    print(f"targets: (a) {'met' if ok_a else 'MISSED'}, (b) {'met' if ok_b else 'MISSED'}")
    return 0 if ok_a and ok_b else 1


if __name__ == "__main__":
    sys.exit(main())
