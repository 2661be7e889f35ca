"""The public pages customers read."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template

from statuspage.db import utcnow
from statuspage.presenters import page_summary

bp = Blueprint("public", __name__)


def _notice() -> str:
    """Return the markdown of the footer notice kept beside the config file."""
    path = Path(current_app.config["STATUS"].path).parent / "notice.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@bp.get("/")
def index():
    """Show the current status of every component, open incidents and maintenance."""
    site = current_app.config["STATUS"].site
    summary = page_summary(site, utcnow())
    return render_template("index.html", summary=summary, notice=_notice())
