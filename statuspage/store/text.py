"""Text that every format the site writes can carry: the database, HTML, JSON and XML feeds.

PostgreSQL refuses NUL in text, and XML 1.0 (the Atom and RSS feeds) refuses the other C0
controls but tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF. Every
front door refuses such text, naming the field; the feed writers also drop any that an older
version stored, so one character can never turn a feed into an error.
"""

from __future__ import annotations

import re

_UNCARRIED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def uncarried(text: str) -> str | None:
    """Describe the first character of `text` some format cannot carry, or None if none is."""
    found = _UNCARRIED.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return "a NUL character"
    if 0xD800 <= code <= 0xDFFF:
        return "an unpaired surrogate"
    return f"the control character U+{code:04X}, which feeds cannot carry"


def carried(text: str) -> str:
    """Return `text` without the characters some format cannot carry."""
    return _UNCARRIED.sub("", text)
