"""The probe process's own metrics: latency and results per probe and location, on loopback."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from probes import ProbeDefinition, ProbeRunner, Result

log = logging.getLogger("statuspage.probes")

# Probes answer in tens of milliseconds when healthy, are degraded past 3 s by default and time
# out at 10 s: the buckets resolve all three, and the last catches a long custom timeout.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# The probe process's /metrics listens here only: it has no authentication of its own.
LOOPBACK = "127.0.0.1"


class ProbeMetrics:
    """The latency histogram and result counters of one process's probes, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "statuspage_probe_latency_seconds",
            "How long each probe run took, from request to verdict.",
            ["probe", "location"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.results = Counter(
            "statuspage_probe_results",
            "Probe results produced here, by outcome (up, degraded, down).",
            ["probe", "location", "outcome"],
            registry=self.registry,
        )

    def observe(self, results: Iterable[Result]) -> None:
        """Count results and their latencies (a result with no latency is only counted)."""
        for result in results:
            self.results.labels(result.probe_key, result.location, str(result.outcome)).inc()
            if result.latency_ms is not None:
                self.latency.labels(result.probe_key, result.location).observe(
                    result.latency_ms / 1000
                )

    def serve(self, port: int) -> WSGIServer:
        """Serve /metrics on 127.0.0.1:port from a daemon thread; return the server."""
        server, _ = start_http_server(port, addr=LOOPBACK, registry=self.registry)
        log.info("probe metrics on http://%s:%d/metrics", LOOPBACK, server.server_port)
        return server


class ObservedRunner(ProbeRunner):
    """A ProbeRunner that counts every result it returns, for the service and for agents."""

    def __init__(self, metrics: ProbeMetrics, max_workers: int = 32) -> None:
        super().__init__(max_workers=max_workers)
        self.metrics = metrics

    def run_one(
        self,
        definition: ProbeDefinition,
        *,
        location: str,
        environ: Mapping[str, str] = os.environ,
    ) -> Result | None:
        """Run one probe (see ProbeRunner.run_one) and count its result."""
        result = super().run_one(definition, location=location, environ=environ)
        if result is not None:
            self.metrics.observe([result])
        return result

    def run_cycle(
        self,
        definitions: Iterable[ProbeDefinition],
        *,
        location: str,
        environ: Mapping[str, str] = os.environ,
    ) -> list[Result]:
        """Run probes in parallel (see ProbeRunner.run_cycle) and count their results."""
        results = super().run_cycle(definitions, location=location, environ=environ)
        self.metrics.observe(results)
        return results


def metrics_port(environ: Mapping[str, str]) -> int | None:
    """Return STATUSPAGE_PROBE_METRICS_PORT as a port, None when unset or 0 (off)."""
    raw = environ.get("STATUSPAGE_PROBE_METRICS_PORT", "").strip()
    if not raw or raw == "0":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(
            f"STATUSPAGE_PROBE_METRICS_PORT must be a port from 1 to 65535, got {raw!r}"
        )
    return int(raw)


def stop(server: WSGIServer) -> None:
    """Stop a metrics server started by ProbeMetrics.serve and free its port."""
    server.shutdown()
    server.server_close()
