"""The pages in the reader's language: one address prefix per language, read by Flask-Babel.

Each language but the site's own (`[site] language`, served at the root) lives under its code:
/es/, /es/history, /es/incidents/<code>, /es/history.atom. The address alone names the
language, so a cache or the published tree holds exactly one body per address and a page never
varies by a request header. Accept-Language is read in one place only, /language, which sends
the reader to the address of the language they prefer (and is never cached).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request
from flask_babel import Babel, refresh

from statuspage.vocabulary import LANGUAGE_TAGS, LANGUAGES

# Where the prefix middleware leaves the language an address named.
LANGUAGE_KEY = "statuspage.language"
# The blueprints whose pages and feeds are translated; under a prefix every other one is
# absent (the JSON API, badges and status.json speak one machine language, at the root).
TRANSLATED_BLUEPRINTS = {"public", "feeds", "subscribe", "languages"}

bp = Blueprint("languages", __name__)
babel = Babel()


@dataclass(frozen=True)
class Language:
    """One language as a page offers it: its code, own name, tag and this page's address."""

    code: str
    name: str
    tag: str
    href: str
    current: bool


class LanguagePrefix:
    """Take a language's prefix off the path and onto SCRIPT_NAME, so url_for keeps it."""

    def __init__(self, app: Any, default: str) -> None:
        self.app = app
        self.prefixes = {code for code in LANGUAGES if code != default}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        """Serve /es/history as /history in Spanish, with every link it renders under /es."""
        path = environ.get("PATH_INFO", "")
        first, _, rest = path[1:].partition("/")
        if path.startswith("/") and first in self.prefixes:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/" + first
            environ["PATH_INFO"] = "/" + rest
            environ[LANGUAGE_KEY] = first
        return self.app(environ, start_response)


def current_language() -> str:
    """Return the code of the language this request is served in."""
    default = current_app.config["STATUS"].site.language
    if not request:
        return default
    return request.environ.get(LANGUAGE_KEY) or default


def language_tag() -> str:
    """Return the BCP 47 tag of this request's language, for <html lang> and feeds."""
    code = current_language()
    return LANGUAGE_TAGS.get(code, code)


def address_in(code: str, path: str | None = None) -> str:
    """Return this request's path (or `path`) as the address of the same page in `code`."""
    here = request.environ.get(LANGUAGE_KEY)
    root = request.script_root
    if here:
        root = root[: -len(here) - 1]  # the site's own prefix, without this language's
    prefix = "" if code == current_app.config["STATUS"].site.language else "/" + code
    return root + prefix + (request.path if path is None else path)


def page_languages() -> list[Language]:
    """Return every language with this page's address in it, for the switcher and hreflang."""
    here = current_language()
    return [
        Language(code, name, LANGUAGE_TAGS.get(code, code), address_in(code), code == here)
        for code, name in LANGUAGES.items()
    ]


def _locale() -> str | None:
    return request.environ.get(LANGUAGE_KEY) if request else None


@bp.get("/language")
def choose() -> Response:
    """Send the reader to the home page in the language their browser prefers."""
    best = request.accept_languages.best_match(LANGUAGES) or current_language()
    response = redirect(address_in(best, "/"), 303)
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Serve each language under its prefix, and translate pages with Flask-Babel."""
    site = app.config["STATUS"].site
    app.config.setdefault("BABEL_DEFAULT_LOCALE", site.language)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", site.timezone)
    babel.init_app(app, locale_selector=_locale)
    # Paragraphs in {% trans %} blocks are extracted and looked up with their lines joined.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.register_blueprint(bp)

    @app.before_request
    def each_request_its_own_language() -> None:
        # Flask-Babel keeps the locale on the app context, which the publisher's renders
        # share (reads/moment.py): every request reads its own address again.
        refresh()

    @app.before_request
    def only_translated_pages_under_a_prefix() -> None:
        # Registered before the response cache, so nothing untranslated is served from it.
        if request.environ.get(LANGUAGE_KEY) and not (
            request.blueprint in TRANSLATED_BLUEPRINTS or request.endpoint == "static"
        ):
            abort(404)

    @app.context_processor
    def language_of_the_page() -> dict[str, Any]:
        return {
            "language_tag": language_tag(),
            "page_languages": page_languages,
        }
