"""HTTP for the Statuspage importer: GETs with timeouts, a size bound and few redirects."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import requests

TIMEOUT_S = (5.0, 20.0)  # connect, then each read
TOTAL_S = 60.0  # a whole document: a server sending a byte now and then is cut off too
MAX_BYTES = 5 * 1024 * 1024  # per document; a real page's answers are a few hundred KiB
MAX_REDIRECTS = 5
USER_AGENT = "capgo-statuspage-importer"


class FetchError(Exception):
    """A document that could not be read: unreachable, refused, too large or not JSON/XML."""


def page_url(url: str) -> str:
    """Return the page's base URL from what was typed (a trailing /api/v2/... is dropped)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url!r} is not an http(s) URL of a status page")
    path = re.sub(r"/api/v2(/.*)?$", "", parts.path).rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


class Fetcher:
    """GETs documents of one page with timeouts, a size bound and few redirects."""

    def __init__(
        self, base_url: str, timeout: tuple[float, float] = TIMEOUT_S, total_s: float = TOTAL_S
    ) -> None:
        self.base_url = page_url(base_url)
        self.timeout = timeout
        self.total_s = total_s
        self.session = requests.Session()
        self.session.max_redirects = MAX_REDIRECTS
        self.session.headers["User-Agent"] = USER_AGENT
        # Uncompressed: a compressed body could grow past the size bound in a single read.
        self.session.headers["Accept-Encoding"] = "identity"

    def close(self) -> None:
        """Close the connections."""
        self.session.close()

    def get(self, path: str) -> bytes:
        """Return the body of base_url + path, at most MAX_BYTES, or raise FetchError."""
        url = self.base_url + path
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as response:
                if response.status_code != 200:
                    raise FetchError(f"{url}: HTTP {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > MAX_BYTES:
                    raise FetchError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
                body = bytearray()
                deadline = time.monotonic() + self.total_s
                # read1 returns what one socket read brings; iter_content would wait for more.
                while chunk := response.raw.read1(64 * 1024, decode_content=False):
                    body.extend(chunk)
                    if len(body) > MAX_BYTES:
                        raise FetchError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
                    if time.monotonic() > deadline:
                        raise FetchError(f"{url}: not read within {self.total_s:g} s")
                return bytes(body)
        except requests.Timeout:
            raise FetchError(f"{url}: no answer within {self.timeout[1]:g} s") from None
        except requests.TooManyRedirects:
            raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
        except requests.RequestException as error:
            raise FetchError(f"{url}: {error.__class__.__name__}") from None

    def get_json(self, path: str) -> dict[str, Any]:
        """Return a JSON object document, or raise FetchError."""
        try:
            data = json.loads(self.get(path))
        except (ValueError, RecursionError):
            raise FetchError(f"{self.base_url}{path}: not JSON") from None
        if not isinstance(data, dict):
            raise FetchError(f"{self.base_url}{path}: not a JSON object")
        return data
