"""The admin Subscribers screen: counts, search, removal, CSV export, delivery failures.

Also what the "Notify subscribers" box says: how many an update will reach (a template
global, so the incident forms stay as they were).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from statuspage.notify import listing, subscribers
from statuspage.staff.validation import Invalid
from statuspage.store.db import db, utcnow
from statuspage.store.models import Incident, Subscriber
from statuspage.vocabulary import Channel
from statuspage.web.auth import admin_only, guard
from statuspage.web.subscribe import HOOK_KINDS

bp = Blueprint("admin_subscribers", __name__, url_prefix="/admin/subscribers")


class HookForm(FlaskForm):
    """A webhook or chat channel staff add (confirmed at once)."""

    kind = SelectField("Kind", choices=HOOK_KINDS)
    url = StringField("URL (https)", validators=[DataRequired(), Length(max=2000)])
    email = EmailField("Owner's email (failure notices)", validators=[Optional(), Length(max=254)])


# Staff-only and out of caches; the screens themselves are for admins (addresses are
# personal data).
guard(bp)


@bp.get("/")
@admin_only
def index():
    """Show counts by kind and component, the search, failures and disabled webhooks."""
    search = request.args.get("q", "").strip()
    return _screen(HookForm(formdata=None), search)


def _screen(form: HookForm, search: str = "", secret: str | None = None, status: int = 200):
    found = listing.find(search or None)
    return (
        render_template(
            "admin/subscribers.html",
            counts=listing.counts(),
            found=found,
            search=search,
            state_of=listing.state_of,
            failures=listing.failures(),
            disabled=[s for s in listing.find() if s.disabled_at is not None],
            form=form,
            button=FlaskForm(),
            secret=secret,
            mail_ready=bool(current_app.config.get("SMTP_URL")),
        ),
        status,
    )


@bp.post("/<code>/remove")
@admin_only
def remove(code: str):
    """Delete one subscriber and its data."""
    if FlaskForm().validate_on_submit():
        removed = subscribers.remove(code)
        flash("Subscriber removed." if removed else "No such subscriber.", "info")
    return redirect(url_for("admin_subscribers.index"))


@bp.get("/export.csv")
@admin_only
def export():
    """Download subscribers as CSV (all, or those the search matches)."""
    search = request.args.get("q", "").strip() or None
    text = listing.export_csv(listing.find(search, limit=1_000_000))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="subscribers.csv"'},
    )


@bp.post("/hooks")
@admin_only
def add_hook():
    """Add a webhook or chat channel; a webhook's secret is shown this once."""
    form = HookForm()
    if form.validate_on_submit():
        try:
            _, secret = subscribers.add_hook(
                Channel(form.kind.data), form.url.data, form.email.data, utcnow()
            )
        except Invalid as error:
            db.session.rollback()
            form.url.errors = [error.message]
            return _screen(form, status=422)
        flash("Added.", "info")
        return _screen(HookForm(formdata=None), secret=secret or None)
    return _screen(form, status=422)


def notify_reach(event: Incident | None = None) -> str:
    """Say whom "Notify subscribers" reaches for an update on `event` (a new one: None)."""
    confirmed = db.session.execute(
        db.select(db.func.count()).where(Subscriber.confirmed_at.is_not(None))
    ).scalar()
    if not confirmed:
        return "No one is subscribed yet: ticking this notifies no one."
    unsent = (
        ""
        if current_app.config.get("SMTP_URL")
        else (
            " Mail is not configured on this process (STATUSPAGE_SMTP_URL): if the probe process"
            " lacks it too, email subscribers are not told."
        )
    )
    if event is None:
        everything = listing.reach(None, [])
        return (
            f"Reaches {everything} subscriber{'s' if everything != 1 else ''} who follow "
            "everything, plus those who follow the components you mark affected." + unsent
        )
    count = listing.reach(event)
    if not count:
        return "No subscriber follows this event's components: ticking this notifies no one."
    return f"Reaches {count} subscriber{'s' if count != 1 else ''}." + unsent


def init_app(app: Flask) -> None:
    """Register the screen, and make notify_reach available to the admin templates."""
    app.register_blueprint(bp)
    app.add_template_global(notify_reach, "notify_reach")
