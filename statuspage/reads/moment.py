"""One moment for many renders: inside `one_moment()`, a shared read is built once.

The publisher renders every public URL in a row; a dozen of them read the page summary (the
home page, the summary API, status.json, every badge) and each feed is read in three
formats. Rendered inside one moment they show the same state, for a fraction of the work.
The block must hold one app context (one database session), so the rows a read returns stay
attached for the renders after it. Outside the block, every read is built afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_built: ContextVar[dict[Hashable, Any] | None] = ContextVar("one_moment", default=None)


@contextmanager
def one_moment() -> Iterator[None]:
    """Share each read built inside this block with every later render inside it."""
    token = _built.set({})
    try:
        yield
    finally:
        _built.reset(token)


def shared(key: Hashable, build: Callable[[], T]) -> T:
    """Return the read built for `key` in this moment, building it the first time."""
    built = _built.get()
    if built is None:
        return build()
    if key not in built:
        built[key] = build()
    return built[key]
