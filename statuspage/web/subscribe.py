"""Subscribing: the sign-up forms, confirmation links, and unsubscribing in one click.

Never cached (each form carries its CSRF token), and never sends anything itself: a sign-up
writes a confirmation to the outbox, which the probe process delivers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from statuspage import csrf
from statuspage.notify import subscribers
from statuspage.reads.incidents import get_incident
from statuspage.reads.summary import leaf_components
from statuspage.staff.validation import Invalid
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident
from statuspage.vocabulary import N_, RESOLVED_INCIDENT_STATUSES, Channel, MaintenanceStatus
from statuspage.web.languages import current_language

bp = Blueprint("subscribe", __name__)

HOOK_KINDS = [
    SelectChoice(Channel.WEBHOOK.value, N_("Webhook (signed JSON, Statuspage's shape)")),
    SelectChoice(Channel.SLACK.value, N_("Slack incoming webhook")),
    SelectChoice(Channel.DISCORD.value, N_("Discord webhook")),
    SelectChoice(Channel.TEAMS.value, N_("Microsoft Teams workflow")),
]


class EmailForm(FlaskForm):
    """An address, and optionally the one incident to follow."""

    email = EmailField(N_("Email"), validators=[DataRequired(), Length(max=254)])
    incident = HiddenField()


class HookForm(FlaskForm):
    """A webhook or chat URL, and the address told if it fails."""

    kind = SelectField(N_("Kind"), choices=HOOK_KINDS, default=Channel.WEBHOOK.value)
    url = StringField(N_("URL (https)"), validators=[DataRequired(), Length(max=2000)])
    email = EmailField(
        N_("Your email (to confirm, and for failure notices)"),
        validators=[DataRequired(), Length(max=254)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The kinds in the reader's language; the labels above are translated where shown.
        self.kind.choices = [SelectChoice(kind.value, gettext(kind.label)) for kind in HOOK_KINDS]


@bp.context_processor
def _every_page() -> dict[str, Any]:
    return {"site": current_app.config["STATUS"].site, "notice": "", "now": utcnow()}


@bp.after_request
def _private(response: Any) -> Any:
    """Keep these pages (tokens in the URL, CSRF in the form) out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # a token must not leak onwards
    return response


def _followed() -> Incident | None:
    """Return the incident named by ?incident= (or the form), if it can still be followed."""
    code = request.values.get("incident", "")
    if not code:
        return None
    incident = get_incident(code)
    if incident is None or incident.status in (
        *RESOLVED_INCIDENT_STATUSES,
        MaintenanceStatus.COMPLETED,
    ):
        abort(404, gettext("There is no open incident or maintenance at this address to follow."))
    return incident


def _page(email_form: EmailForm, hook_form: HookForm, status: int = 200, **context: Any) -> Any:
    return (
        render_template(
            "subscribe/form.html",
            email_form=email_form,
            hook_form=hook_form,
            components=leaf_components(),
            chosen=set(request.form.getlist("components")),
            incident=_followed(),
            mail_ready=bool(current_app.config.get("SMTP_URL")),
            **context,
        ),
        status,
    )


@bp.get("/subscribe")
def form():
    """Show the ways to subscribe: email (with components), webhook or chat channel."""
    email_form = EmailForm(formdata=None)
    email_form.incident.data = request.args.get("incident", "")
    return _page(email_form, HookForm(formdata=None))


def _sign_up(kind: Channel, form: FlaskForm, **fields: Any) -> Any:
    """Sign up and answer the same way whatever was known (no enumeration)."""
    try:
        subscribers.sign_up(
            kind,
            client=request.remote_addr or "unknown",
            now=utcnow(),
            language=current_language(),
            components=request.form.getlist("components"),
            **fields,
        )
    except subscribers.RateLimited:
        db.session.rollback()
        return render_template("subscribe/limited.html"), 429
    except Invalid as error:
        db.session.rollback()
        getattr(form, error.field or "email").errors = [gettext(error.message)]
        return None
    return render_template("subscribe/sent.html", kind=kind)


@bp.post("/subscribe")
def subscribe_email():
    """Ask for an email subscription; a confirmation mail follows."""
    form = EmailForm()
    if not current_app.config.get("SMTP_URL"):
        abort(404)
    if form.validate_on_submit():
        answer = _sign_up(Channel.EMAIL, form, email=form.email.data, incident=_followed())
        if answer is not None:
            return answer
    return _page(form, HookForm(formdata=None), 400)


@bp.post("/subscribe/hook")
def subscribe_hook():
    """Ask for a webhook or chat subscription; its owner confirms by mail."""
    form = HookForm()
    if not current_app.config.get("SMTP_URL"):
        abort(404)
    if form.validate_on_submit():
        kind = Channel(form.kind.data)
        answer = _sign_up(kind, form, email=form.email.data, url=form.url.data)
        if answer is not None:
            return answer
    return _page(EmailForm(formdata=None), form, 400)


@bp.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm with a button (a link scanner's GET confirms nothing, reveals no secret)."""
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        outcome = subscribers.confirm(token, utcnow())
        if outcome is None:
            return render_template("subscribe/bad_link.html"), 404
        return render_template("subscribe/confirmed.html", outcome=outcome)
    return render_template("subscribe/confirm.html", form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET: a page with a button. POST (the button, or RFC 8058 one-click): unsubscribe now."""
    if request.method == "POST":
        found = subscribers.unsubscribe(token)
        return render_template("subscribe/unsubscribed.html", found=found), 200
    subscriber = subscribers.for_unsubscribe(token)
    return render_template("subscribe/unsubscribe.html", subscriber=subscriber)


# RFC 8058: mail providers POST `List-Unsubscribe=One-Click` with no cookie and no CSRF
# token; the signed token in the URL is what authorises it.
csrf.exempt(unsubscribe)
