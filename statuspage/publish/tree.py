"""The public site as a tree of files: rendered through the app, written only where it changed.

Every URL is rendered first, in memory, through the app itself (so each file holds exactly
the bytes the dynamic site answers); only when all of them rendered is anything written. A
file is written only when its bytes differ, through a temporary file in the same folder and
a rename, so a reader sees the old file or the new one, never a torn one. Leaves go first
and index pages last (the home page at the very end), so a page is never published before
the pages it links to. A publish that fails leaves the last good tree where it was.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from statuspage.publish.urls import file_path, public_urls
from statuspage.reads.moment import one_moment
from statuspage.store.site_state import site_version

try:  # optional: nginx's brotli_static, when the module and the package are both there
    import brotli
except ImportError:  # pragma: no cover - depends on the machine
    brotli = None

log = logging.getLogger(__name__)

# Kept in the tree, hidden (deploy/nginx.conf serves no dot-file): what was published, with
# each file's content type, for the mirror and for removing what is no longer public.
MANIFEST = ".published.json"
# Compressed siblings, for nginx's gzip_static (and brotli_static); tiny files gain nothing.
MIN_COMPRESS_BYTES = 256


class PublishError(Exception):
    """The site could not be rendered or written; the last good tree is left in place."""


@dataclass(frozen=True)
class PublishedFile:
    """One response as a file: where it goes, its bytes and its content type."""

    path: PurePosixPath
    body: bytes
    content_type: str


@dataclass
class Outcome:
    """What a publish did: the site version it shows, and the files it wrote and removed."""

    version: int
    files: int = 0
    seconds: float = 0.0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def render_site(app: Flask) -> tuple[int, list[PublishedFile]]:
    """Render every public URL through the app; raise PublishError if any fails."""
    with app.app_context(), one_moment():
        version, _ = site_version()
        urls = public_urls(app)
        # Renders must see this version now, not the one the process last read.
        app.extensions["response_cache"].expire_version()
        return version, _render(app, urls)


def _render(app: Flask, urls: list[str]) -> list[PublishedFile]:
    """Render each URL, all in the caller's app context and moment (see reads/moment.py)."""
    client = app.test_client()
    base_url = app.config["STATUS"].site.url  # the host the pages are served at
    files: list[PublishedFile] = []
    for url in urls:
        try:
            response = client.get(url, base_url=base_url)
        except Exception as error:  # a testing app raises what a served one answers with 500
            raise PublishError(f"{url} failed: {error.__class__.__name__}: {error}") from error
        if response.status_code == 404:
            # A route filled with a value it does not serve (a group's page): not a page.
            log.debug("publish: %s is not a page (404)", url)
            continue
        if response.status_code != 200:
            raise PublishError(f"{url} answered HTTP {response.status_code}")
        files.append(PublishedFile(file_path(url), response.get_data(), response.content_type))
    return files


def write_tree(directory: Path, version: int, files: list[PublishedFile]) -> Outcome:
    """Write the files that changed (and their compressed siblings), then the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(directory)
    outcome = Outcome(version=version, files=len(files))
    kept: dict[str, dict[str, str]] = {}
    for file in sorted(files, key=lambda file: leaves_first(file.path)):
        for path, body in _variants(file):
            if _write_if_changed(directory / path, body):
                outcome.written.append(path.as_posix())
        kept[file.path.as_posix()] = {
            "type": file.content_type,
            "sha256": hashlib.sha256(file.body).hexdigest(),
        }
    for gone in sorted(set(previous) - set(kept)):
        for path in (gone, gone + ".gz", gone + ".br"):
            with contextlib.suppress(FileNotFoundError):
                (directory / path).unlink()
                outcome.removed.append(path)
    _write_if_changed(directory / MANIFEST, _manifest_bytes(version, kept))
    return outcome


def publish(app: Flask, directory: Path) -> Outcome:
    """Render the whole public site and bring the tree in `directory` up to date with it."""
    began = time.monotonic()
    try:
        try:
            version, files = render_site(app)
            outcome = write_tree(directory, version, files)
        except SQLAlchemyError as error:
            raise PublishError(
                f"the database is unreachable ({error.__class__.__name__})"
            ) from None
        except OSError as error:
            raise PublishError(f"cannot write {directory}: {error}") from error
    except PublishError as error:
        log.error("publish to %s failed, the last good tree stays: %s", directory, error)
        raise
    outcome.seconds = time.monotonic() - began
    log.info(
        "published version %d to %s in %.2f s: %d files, %d written, %d removed",
        outcome.version,
        directory,
        outcome.seconds,
        outcome.files,
        len(outcome.written),
        len(outcome.removed),
    )
    return outcome


def read_manifest(directory: Path) -> dict[str, dict[str, str]]:
    """Return the files the last publish wrote, with their content types (empty if none)."""
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _manifest_bytes(version: int, files: dict[str, dict[str, str]]) -> bytes:
    return json.dumps({"version": version, "files": files}, indent=1, sort_keys=True).encode()


def leaves_first(path: PurePosixPath) -> tuple[bool, int, str]:
    """Order files so every index page comes after the leaves, deepest first, home last."""
    is_index = path.name == "index.html"
    return (is_index, -len(path.parts) if is_index else 0, path.as_posix())


def _variants(file: PublishedFile) -> list[tuple[PurePosixPath, bytes]]:
    """Return the compressed siblings of a file (written before it), then the file itself."""
    variants: list[tuple[PurePosixPath, bytes]] = []
    if len(file.body) >= MIN_COMPRESS_BYTES:
        # mtime=0: the same bytes compress to the same file, so an unchanged page stays put.
        gz = gzip.compress(file.body, compresslevel=9, mtime=0)
        variants.append((file.path.with_name(file.path.name + ".gz"), gz))
        if brotli is not None:
            br = brotli.compress(file.body)
            variants.append((file.path.with_name(file.path.name + ".br"), br))
    variants.append((file.path, file.body))
    return variants


def _write_if_changed(path: Path, body: bytes) -> bool:
    """Write a file atomically (temporary file, then rename) unless it already holds `body`."""
    try:
        if path.stat().st_size == len(body) and path.read_bytes() == body:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from nginx's user
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return True
