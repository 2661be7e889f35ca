"""Run the production stack on loopback: deploy/nginx.conf in a real nginx, gunicorn, the probes.

For tests/test_nginx.py and bench/publish.py; holds no tests itself. Every process gets its
own process group and is stopped (SIGTERM, then SIGKILL) on the way out.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.standin import unused_port

NGINX_CONF = REPO_ROOT / "deploy" / "nginx.conf"
# Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
START_TIMEOUT_S = 30
# What deploy/nginx.conf names that a test or benchmark replaces: the tree, the app, the port.
PLACES = {
    "root": "root /srv/statuspage/site;",
    "app": "server 127.0.0.1:8000;",
    "listen": "listen 80;",
}


def nginx_config(work: Path, site: Path, app_port: int, port: int) -> Path:
    """Write deploy/nginx.conf with these places into a whole nginx configuration; return it."""
    text = NGINX_CONF.read_text()
    for place in PLACES.values():
        assert text.count(place) == 1, f"deploy/nginx.conf no longer says {place!r}"
    text = (
        text.replace(PLACES["root"], f"root {site};")
        .replace(PLACES["app"], f"server 127.0.0.1:{app_port};")
        .replace(PLACES["listen"], f"listen 127.0.0.1:{port};")
    )
    (work / "statuspage.conf").write_text(text)
    temp = "\n".join(
        f"  {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would run as nobody, who cannot enter a private temp folder.
    user = "user root;" if os.geteuid() == 0 else ""
    main = work / "nginx.conf"
    main.write_text(
        f"{user}\nworker_processes 1;\ndaemon off;\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n{temp}\n  include {work / 'statuspage.conf'};\n}}\n"
    )
    return main


def check_config(config: Path) -> subprocess.CompletedProcess[str]:
    """Run `nginx -t` on a configuration."""
    return subprocess.run(
        [NGINX, "-t", "-p", str(config.parent), "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@contextlib.contextmanager
def running(
    command: list[str], env: dict[str, str], log: Path, ready: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command in its own process group until the block ends; wait for `ready` to answer."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        if ready is not None:
            wait_for(process, ready, log)
        yield process
    finally:
        stop(process)


def wait_for(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll a URL until it answers at all, the process dies, or START_TIMEOUT_S passes."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and its group: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def site_env(database_url: str, config: Path, **more: str) -> dict[str, str]:
    """Return the environment a site process of this stack runs with."""
    return os.environ | {
        "STATUSPAGE_DATABASE_URL": database_url,
        "STATUSPAGE_CONFIG": str(config),
        "STATUSPAGE_SECRET_KEY": "x" * 64,
        "STATUSPAGE_PROXIES": "1",
        "PYTHONPATH": str(REPO_ROOT),
        **more,
    }


def gunicorn_command(port: int, workers: int = 2, threads: int = 2) -> list[str]:
    """Return the README's production command, on a loopback port, with no control socket."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "wsgi:app",
    ]


@dataclass(frozen=True)
class Stack:
    """The running stack: nginx's and gunicorn's URLs, the tree, and each master's pid."""

    nginx: str
    app: str
    site: Path
    nginx_pid: int
    app_pid: int


@contextlib.contextmanager
def stack(work: Path, database_url: str, config: Path, workers: int = 2) -> Iterator[Stack]:
    """Run gunicorn, the probe process (publishing into work/site) and nginx, until the end."""
    site = work / "site"
    app_port, port = unused_port(), unused_port()
    env = site_env(database_url, config, STATUSPAGE_PUBLISH_DIR=str(site))
    app_url, nginx_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{port}"
    nginx_conf = nginx_config(work, site, app_port, port)
    nginx_command = [NGINX, "-p", str(work), "-c", str(nginx_conf)]
    with (
        running(
            gunicorn_command(app_port, workers), env, work / "gunicorn.log", app_url + "/healthz"
        ) as gunicorn,
        running([sys.executable, "-m", "statuspage", "probe"], env, work / "probe.log"),
        running(nginx_command, env, work / "nginx.log", nginx_url) as nginx,
    ):
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (site / "index.html").exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing published:\n{(work / 'probe.log').read_text()}")
            time.sleep(0.1)
        yield Stack(nginx_url, app_url, site, nginx.pid, gunicorn.pid)
