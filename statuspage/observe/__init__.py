"""Prometheus metrics: what the probe process measures, and what the site reads at scrape time.

The probe process (and a probe agent) counts the results it produces and serves them on a
loopback port (probes.py). The site's /metrics reads the state every worker shares from the
database when scraped, and adds the response cache's counters, which are per process and so
use the client's multiprocess mode under gunicorn (site.py).
"""
