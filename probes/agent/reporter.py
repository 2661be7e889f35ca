"""Send an agent's results to the site's ``POST /api/v1/results`` and read its answer.

``Reporter.send`` posts one batch with the agent's bearer token and returns a ``Delivery``
whose ``Verdict`` says what the agent should do with the batch: forget it, keep it for later,
drop it, send fewer at a time, or stop sending. The token never shows in a log record of
``probes.agent``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from probes.reasons import describe_error
from probes.redact import scrub

# The agent's logger, shared with probes.agent.agent: a Reporter's token filter on it then
# covers the agent's records too.
log = logging.getLogger("probes.agent")

RESULTS_PATH = "/api/v1/results"
SEND_TIMEOUT_S = 30.0
SHOWN_CHARS = 300


def check_site_url(url: str) -> str:
    """Return the site's base URL without a trailing slash; ``ValueError`` says what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the site URL must look like https://status.example (got {url!r})")
    if parts.username is not None or parts.password is not None:
        # Written in a URL, a credential would show in every log line naming the site.
        raise ValueError("the site URL must not hold credentials: pass the token separately")
    if parts.query or parts.fragment:
        raise ValueError(f"the site URL must have no query or fragment (got {url!r})")
    return url.strip().rstrip("/")


class Verdict(StrEnum):
    """What to do with a batch after the site's answer."""

    DELIVERED = "delivered"  # stored (or known already): forget it
    RETRY = "retry"  # the site is unreachable or busy: keep it, try later
    INVALID = "invalid"  # the site will never take it (400, 422): drop it
    TOO_LARGE = "too_large"  # 413: send fewer at a time
    REFUSED = "refused"  # the site refuses this agent (401, 403, 404...): stop until restart


@dataclass(frozen=True)
class Delivery:
    """The site's answer to one batch."""

    verdict: Verdict
    reason: str
    accepted: int = 0
    duplicates: int = 0
    retry_after_s: float | None = None
    # For INVALID: the field at fault, as the site named it ("results[3].started_at").
    field: str | None = None
    # For DELIVERED: the results the site did not believe, each {index, id, field, reason}.
    refused: tuple[dict[str, Any], ...] = ()


class _Bearer(AuthBase):
    """Send the token; also keeps requests from adding ~/.netrc credentials instead."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class _HideToken(logging.Filter):
    """Replace the token in this module's log records, should any text ever carry it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = scrub(message, [self.token]), None
        return True


class Reporter:
    """Posts batches of results to a site's ``POST /api/v1/results``."""

    def __init__(
        self,
        site_url: str,
        token: str,
        *,
        timeout_s: float = SEND_TIMEOUT_S,
        session: requests.Session | None = None,
    ) -> None:
        if not token.strip():
            raise ValueError("a token is needed to report results")
        self.site_url = check_site_url(site_url)
        self.url = self.site_url + RESULTS_PATH
        self.timeout_s = timeout_s
        self._auth = _Bearer(token.strip())
        # Proxies and CA bundles from the environment apply, as an agent behind one needs them.
        self.session = session or requests.Session()
        self._filter = _HideToken(token.strip())
        log.addFilter(self._filter)

    def __repr__(self) -> str:
        """Name the site, never the token."""
        return f"Reporter({self.site_url!r})"

    def close(self) -> None:
        """Close the connections."""
        self.session.close()
        log.removeFilter(self._filter)

    def send(self, batch: Sequence[Mapping[str, Any]]) -> Delivery:
        """Post one batch and say what the answer means for it."""
        try:
            response = self.session.post(
                self.url,
                json={"results": list(batch)},
                auth=self._auth,
                timeout=(min(10.0, self.timeout_s), self.timeout_s),
                # A redirect would lose the body (and, to another host, the token).
                allow_redirects=False,
            )
        except (requests.RequestException, OSError) as error:
            return Delivery(Verdict.RETRY, describe_error(error, self.timeout_s))
        with response:
            return self._judge(response, len(batch))

    def _judge(self, response: requests.Response, size: int) -> Delivery:
        status = response.status_code
        body = _json_object(response)
        if 200 <= status < 300:
            accepted, duplicates = body.get("accepted"), body.get("duplicates")
            refused = body.get("refused")
            refused = (
                tuple(r for r in refused if isinstance(r, dict))
                if isinstance(refused, list)
                else ()
            )
            if isinstance(accepted, int) and isinstance(duplicates, int):
                return Delivery(
                    Verdict.DELIVERED, f"HTTP {status}", accepted, duplicates, refused=refused
                )
            return Delivery(Verdict.DELIVERED, f"HTTP {status}", size, 0, refused=refused)
        message = shown(body.get("message"))
        reason = f"HTTP {status}" + (f": {message}" if message else "")
        if status in (408, 429) or status >= 500:
            return Delivery(Verdict.RETRY, reason, retry_after_s=_retry_after(response))
        if status == 413:
            return Delivery(Verdict.TOO_LARGE, reason)
        if status in (400, 422):
            field = body.get("field") if isinstance(body.get("field"), str) else None
            return Delivery(Verdict.INVALID, reason, field=field)
        if 300 <= status < 400:
            where = shown(response.headers.get("Location")) or "elsewhere"
            reason = f"HTTP {status} to {where}: give that address to --report-to"
        return Delivery(Verdict.REFUSED, reason)


def _json_object(response: requests.Response) -> dict[str, Any]:
    """Return the answer's JSON object, or {} when it is something else."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def shown(text: Any) -> str:
    """Return text from the site fit for one log line."""
    if not isinstance(text, str):
        return ""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _retry_after(response: requests.Response) -> float | None:
    """Return the seconds a Retry-After header asks for (its number form), if any."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
