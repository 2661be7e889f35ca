"""Keep secrets out of text and logs: which values are secret, and how they are scrubbed.

A probe's secrets are the values its templates pull from the environment (and its header
values). ``scrub`` hides them, in every form a URL gives them, in any text; while a probe
runs, a filter on the loggers of ``probes``, requests and urllib3 scrubs its secrets from
every record those libraries log.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

from probes.definitions import ProbeDefinition, expand_text, missing_env, referenced_env


def secret_values(definition: ProbeDefinition, environ: Mapping[str, str]) -> set[str]:
    """Return every value that must never appear in results or logs for this probe.

    That is the value of every referenced variable that is set, every header value after
    expansion, and a heartbeat's key. Defaults written in a template are part of the committed
    configuration and so are not secret unless they end up in a header.
    """
    secrets = {environ[name] for name in referenced_env(definition) if environ.get(name)}
    if not missing_env(definition, environ):
        secrets.update(
            expand_text(value, environ) for value in definition.headers.values() if value
        )
        if definition.heartbeat_key:  # a secret even when written out in the file
            secrets.add(expand_text(definition.heartbeat_key, environ))
    return {value for value in secrets if value}


# Shorter values are not worth hiding and replacing them would mangle ordinary words and
# numbers (a variable holding "200" would turn "HTTP 200" into "HTTP ***").
MIN_SCRUB_LENGTH = 4


# What requests leaves unescaped when it re-quotes a URL (requests.utils.requote_uri).
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _variants(secret: str) -> set[str]:
    """Return the forms a secret takes in text: as is, and as it appears inside a URL."""
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote(secret, safe=_URL_SAFE),
        quote_plus(secret),
    }


def scrub(text: str, secrets: Iterable[str], mask: str = "***") -> str:
    """Return ``text`` with every secret (and its URL-encoded forms) replaced by ``mask``."""
    forms = {form for secret in secrets for form in _variants(secret)}
    # Longest first, so a secret that contains another is replaced whole.
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= MIN_SCRUB_LENGTH:
            text = text.replace(form, mask)
    return text


# --- Secrets in third-party log records -------------------------------------------------------


class _ActiveSecrets:
    """The secret values of the probes running right now, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    @contextmanager
    def hold(self, secrets: Iterable[str]) -> Iterator[None]:
        """Register ``secrets`` for the duration of the block."""
        held = list(secrets)
        with self._lock:
            self._counts.update(held)
        try:
            yield
        finally:
            with self._lock:
                self._counts.subtract(held)
                self._counts += Counter()  # drops the entries that reached zero

    def snapshot(self) -> list[str]:
        """Return the secrets currently held."""
        with self._lock:
            return list(self._counts)


ACTIVE_SECRETS = _ActiveSecrets()


class _ScrubSecrets(logging.Filter):
    """Replace the secrets of running probes in log records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the message and any traceback text; never drop the record."""
        secrets = ACTIVE_SECRETS.snapshot()
        if not secrets:
            return True
        try:
            message = record.getMessage()
            clean = scrub(message, secrets)
            if clean != message:
                record.msg, record.args = clean, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = scrub(record.exc_text, secrets)
        except Exception:  # a malformed record is the handler's problem, not ours
            pass
        return True


# urllib3 logs request lines (with the query string) at DEBUG. Logger filters only see records
# logged on that very logger, so each module logger gets the filter, not just "urllib3".
_SCRUBBED_LOGGERS = (
    "probes",
    "requests",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)
_SCRUBBER = _ScrubSecrets()
for _name in _SCRUBBED_LOGGERS:
    logging.getLogger(_name).addFilter(_SCRUBBER)
