"""Probe definitions: what to request, what answer counts as healthy, and how secrets get in.

Secrets never live in a definition. A definition holds templates: the URL, header values and
strings inside the JSON body may reference environment variables with this syntax:

- ``${NAME}``: the value of ``NAME``; the probe is not configured when it is unset or empty.
- ``${NAME:-default}``: the value of ``NAME``, or ``default`` when it is unset or empty.
- ``$$``: a literal ``$`` (so ``$${NAME}`` is the literal text ``${NAME}``).
- Anything else (``$NAME``, ``${not-a-name}``, a lone ``$``) is left exactly as written.

``NAME`` is a letter or underscore followed by letters, digits or underscores. The default runs
up to the first ``}`` and is not itself expanded.
"""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "(redacted)"

# One token per match: "$$", or "${NAME}" / "${NAME:-default}". Scanning with one pattern means
# "$${NAME}" is read as "$$" then literal text, never as a reference.
_TOKEN = re.compile(
    r"\$(?:(?P<dollar>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})"
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

# The timings and confirmation counts a probe has unless its configuration says otherwise.
DEFAULT_INTERVAL_S = 60
DEFAULT_TIMEOUT_S = 10
DEFAULT_DEGRADED_MS = 3000
DEFAULT_FAILURES_TO_OPEN = 3
DEFAULT_SUCCESSES_TO_CLOSE = 2
# Degraded when 3 of the last 10 results failed, even with successes between them (0: off).
DEFAULT_INTERMITTENT_FAILURES = 3
DEFAULT_INTERMITTENT_WINDOW = 10
# Every result recorded reads this many back: a bound keeps that cheap.
MAX_INTERMITTENT_WINDOW = 1000


# A heartbeat's key is the only thing that lets a caller record beats: too short to guess is
# too short to use. URL-safe, since it travels in the path.
MIN_HEARTBEAT_KEY = 32
MAX_HEARTBEAT_KEY = 200
_HEARTBEAT_KEY = re.compile(rf"[A-Za-z0-9_-]{{{MIN_HEARTBEAT_KEY},{MAX_HEARTBEAT_KEY}}}")
KINDS = ("http", "heartbeat")


class Outcome(StrEnum):
    """The verdict of one probe run."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


def slugify(text: str) -> str:
    """Return a lowercase ASCII slug of ``text``: its letters and digits joined by dashes.

    Accented Latin letters fold to their base letter ("Ça marche" -> "ca-marche"). Letters with
    no ASCII form ("日本", "Ελλάδα") cannot be spelled, so a short hash of the name is added:
    names that differ only in such letters still get different slugs, and a name always gets
    the same one. A text with no letter or digit at all gives "".
    """
    folded = unicodedata.normalize("NFKD", text)
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if any(char.isalnum() and not char.isascii() for char in folded):
        name = unicodedata.normalize("NFC", text).strip().casefold()
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else digest
    return slug


def probe_key(component_slug: str, name: str) -> str:
    """Return the stable key ``<component-slug>/<slugified probe name>``."""
    if not component_slug or "/" in component_slug:
        raise ValueError(f"invalid component slug {component_slug!r}")
    slug = slugify(name)
    if not slug:
        raise ValueError(f"cannot make a slug from {name!r}")
    return f"{component_slug}/{slug}"


@dataclass(frozen=True)
class ProbeDefinition:
    """One check of one endpoint, as configured (templates, not expanded values)."""

    key: str
    component: str
    name: str
    url: str
    method: str = "GET"
    # Mappings cannot be hashed, so they are left out of the hash (but not out of equality).
    headers: Mapping[str, str] = field(default_factory=dict, hash=False, repr=False)
    json: Any = field(default=None, hash=False, repr=False)
    expect_status: tuple[int, ...] = (200,)
    expect_json: Mapping[str, Any] | None = field(default=None, hash=False)
    expect_text: str | None = None
    degraded_status: tuple[int, ...] = ()
    interval_s: float = DEFAULT_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    degraded_ms: float = DEFAULT_DEGRADED_MS
    failures_to_open: int = DEFAULT_FAILURES_TO_OPEN
    successes_to_close: int = DEFAULT_SUCCESSES_TO_CLOSE
    intermittent_failures: int = DEFAULT_INTERMITTENT_FAILURES
    intermittent_window: int = DEFAULT_INTERMITTENT_WINDOW
    requires_env: tuple[str, ...] = ()
    # "http": a request this library makes. "heartbeat": beats that Capgo's own jobs send to
    # the site, which judges them (no URL; see statuspage.rules.heartbeat).
    kind: str = "http"
    # A heartbeat's secret as written (usually ${VAR}): never shown, never in a repr.
    heartbeat_key: str = field(default="", hash=False, repr=False)
    expect_every_s: float = 0
    grace_s: float = 0
    # True on the copy made by expand(): it holds secrets, so describe() refuses it and repr()
    # hides its URL.
    expanded: bool = field(default=False, compare=False)

    @classmethod
    def build(cls, component: str, name: str, url: str, **options: Any) -> ProbeDefinition:
        """Return a definition whose key is derived from the component slug and the name."""
        return cls(probe_key(component, name), component, name, url, **options)

    def __post_init__(self) -> None:
        """Normalise containers and reject definitions that could never be judged."""
        set_ = object.__setattr__  # the dataclass is frozen; normalising happens once, here
        set_(self, "method", self.method.upper())
        # A private plain-dict copy: later changes to the caller's mapping cannot leak in, and
        # the definition stays picklable (a mappingproxy is not).
        set_(self, "headers", dict(self.headers))
        set_(self, "json", copy.deepcopy(self.json))
        if self.expect_json is not None:
            set_(self, "expect_json", copy.deepcopy(dict(self.expect_json)))
        set_(self, "expect_status", tuple(int(s) for s in self.expect_status))
        set_(self, "degraded_status", tuple(int(s) for s in self.degraded_status))
        set_(self, "requires_env", tuple(self.requires_env))
        if not self.key:
            raise ValueError("a probe needs a key")
        if not self.expect_status:
            raise ValueError(f"{self.key}: expect_status is empty")
        if set(self.expect_status) & set(self.degraded_status):
            raise ValueError(f"{self.key}: a status cannot be both expected and degraded")
        if self.timeout_s <= 0 or self.interval_s <= 0 or self.degraded_ms < 0:
            raise ValueError(f"{self.key}: timings must be positive")
        if self.failures_to_open < 1 or self.successes_to_close < 1:
            raise ValueError(f"{self.key}: confirmation counts must be at least 1")
        if self.intermittent_failures < 0 or self.intermittent_window < 1:
            raise ValueError(f"{self.key}: intermittent counts must be at least 0 and 1")
        if self.intermittent_window > MAX_INTERMITTENT_WINDOW:
            raise ValueError(
                f"{self.key}: intermittent_window ({self.intermittent_window}) cannot exceed "
                f"{MAX_INTERMITTENT_WINDOW}"
            )
        if self.intermittent_failures > self.intermittent_window:
            raise ValueError(
                f"{self.key}: intermittent_failures ({self.intermittent_failures}) cannot exceed "
                f"intermittent_window ({self.intermittent_window})"
            )
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: kind must be one of {', '.join(KINDS)}")
        if self.kind == "heartbeat" and (
            not self.heartbeat_key or self.expect_every_s <= 0 or self.grace_s < 0
        ):
            raise ValueError(f"{self.key}: a heartbeat needs a key, expect_every_s and grace_s")

    @property
    def is_heartbeat(self) -> bool:
        """Tell whether this probe is judged from beats rather than run."""
        return self.kind == "heartbeat"

    def __repr__(self) -> str:
        """Show the key and the URL template, never an expanded URL."""
        url = REDACTED if self.expanded else self.url
        return f"ProbeDefinition(key={self.key!r}, method={self.method!r}, url={url!r})"


def _strings(value: Any) -> Iterator[str]:
    """Yield every string inside a JSON-like value, dictionary keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _templates(definition: ProbeDefinition) -> Iterator[str]:
    """Yield every string of a definition that may reference variables."""
    yield definition.url
    yield from definition.headers.values()
    yield from _strings(definition.json)
    if definition.heartbeat_key:
        yield definition.heartbeat_key


def referenced_env(definition: ProbeDefinition) -> list[str]:
    """Return the variable names a definition needs or references, in first-seen order."""
    names = dict.fromkeys(definition.requires_env)
    for template in _templates(definition):
        for match in _TOKEN.finditer(template):
            if match["name"]:
                names[match["name"]] = None
    return list(names)


def missing_env(definition: ProbeDefinition, environ: Mapping[str, str]) -> list[str]:
    """Return the variables that keep this probe from being configured, in first-seen order.

    Empty counts as unset: an empty API key would send keyless requests that count against
    Capgo's per-IP authentication limit, which is exactly what a polite probe must not do.
    """
    missing = dict.fromkeys(name for name in definition.requires_env if not environ.get(name))
    for template in _templates(definition):
        for match in _TOKEN.finditer(template):
            name = match["name"]
            if name and match["default"] is None and not environ.get(name):
                missing[name] = None
    return list(missing)


def configured(
    definitions: Iterable[ProbeDefinition], environ: Mapping[str, str]
) -> list[ProbeDefinition]:
    """Return the definitions whose environment is complete (the ones that may run)."""
    return [d for d in definitions if not missing_env(d, environ)]


def expand_text(template: str, environ: Mapping[str, str]) -> str:
    """Expand ``${NAME}``, ``${NAME:-default}`` and ``$$`` in one string (see module doc)."""

    def substitute(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        value = environ.get(match["name"], "")
        if value:
            return value
        if match["default"] is not None:
            return match["default"]
        raise ValueError(f"environment variable {match['name']} is not set")

    return _TOKEN.sub(substitute, template)


def _expand_json(value: Any, environ: Mapping[str, str]) -> Any:
    """Return a copy of a JSON-like value with every string (keys too) expanded."""
    if isinstance(value, str):
        return expand_text(value, environ)
    if isinstance(value, Mapping):
        return {_expand_json(k, environ): _expand_json(v, environ) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_expand_json(item, environ) for item in value]
    return value


def expand(definition: ProbeDefinition, environ: Mapping[str, str]) -> ProbeDefinition:
    """Return a copy with variables expanded in the URL, header values and JSON strings.

    The copy holds secrets: keep it inside the probe run, never describe, log or store it.
    Raises ``ValueError`` naming the variables (never values) when the probe is not configured.
    """
    missing = missing_env(definition, environ)
    if missing:
        raise ValueError(f"{definition.key}: environment not set: {', '.join(missing)}")
    return replace(
        definition,
        url=expand_text(definition.url, environ),
        headers={name: expand_text(value, environ) for name, value in definition.headers.items()},
        json=_expand_json(definition.json, environ),
        heartbeat_key=expand_text(definition.heartbeat_key, environ),
        expanded=True,
    )


def heartbeat_key(definition: ProbeDefinition, environ: Mapping[str, str]) -> str | None:
    """Return a heartbeat's key, expanded; None when unset or too weak to use.

    The value is a secret: compare it, never show it.
    """
    if not definition.is_heartbeat or missing_env(definition, environ):
        return None
    key = expand_text(definition.heartbeat_key, environ)
    return key if _HEARTBEAT_KEY.fullmatch(key) else None


def heartbeat_key_problem(template: str, environ: Mapping[str, str]) -> str | None:
    """Say what keeps a heartbeat key from being used (never quoting it), or None."""
    names = [m["name"] for m in _TOKEN.finditer(template) if m["name"]]
    unset = [name for name in names if not environ.get(name)]
    if unset:
        return f"set {', '.join(unset)}"
    key = expand_text(template, environ)
    source = f"the value of {', '.join(names)}" if names else "the key"
    if not _HEARTBEAT_KEY.fullmatch(key):
        return (
            f"{source} must be {MIN_HEARTBEAT_KEY} to {MAX_HEARTBEAT_KEY} letters, digits, "
            "dashes or underscores"
        )
    return None


def _redact_userinfo(url: str) -> str:
    """Return ``url`` with a literal password in its user-info part replaced."""
    parts = urlsplit(url)
    if parts.password is None or _TOKEN.fullmatch(parts.password):
        return url
    user, _, rest = parts.netloc.rpartition("@")
    username = user.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{username}:{REDACTED}@{rest}"))


def describe(definition: ProbeDefinition) -> dict[str, Any]:
    """Return a description safe to show on pages and in ``config check``.

    The URL and JSON body are the templates as written (secrets arrive only through
    ``${VAR}``, which stays unexpanded); header values are always redacted because that is
    where credentials go, and so is a heartbeat's key, even written out; variables are listed
    by name only.
    """
    if definition.expanded:
        raise ValueError("describe() needs the definition as written, not an expanded copy")
    if definition.is_heartbeat:
        return {
            "key": definition.key,
            "component": definition.component,
            "name": definition.name,
            "kind": definition.kind,
            "method": "",
            "url": "",
            "heartbeat_key": REDACTED,
            "env": referenced_env(definition),
            "expect_every_s": definition.expect_every_s,
            "grace_s": definition.grace_s,
            "timing": {"interval_s": definition.interval_s},
            "confirmation": {
                "failures_to_open": definition.failures_to_open,
                "successes_to_close": definition.successes_to_close,
            },
        }
    return {
        "key": definition.key,
        "component": definition.component,
        "name": definition.name,
        "kind": definition.kind,
        "method": definition.method,
        "url": _redact_userinfo(definition.url),
        "headers": dict.fromkeys(definition.headers, REDACTED),
        "json": copy.deepcopy(definition.json),
        "env": referenced_env(definition),
        "expect": {
            "status": list(definition.expect_status),
            "degraded_status": list(definition.degraded_status),
            "json": copy.deepcopy(definition.expect_json),
            "text": definition.expect_text,
        },
        "timing": {
            "interval_s": definition.interval_s,
            "timeout_s": definition.timeout_s,
            "degraded_ms": definition.degraded_ms,
        },
        "confirmation": {
            "failures_to_open": definition.failures_to_open,
            "successes_to_close": definition.successes_to_close,
            "intermittent_failures": definition.intermittent_failures,
            "intermittent_window": definition.intermittent_window,
        },
    }
