"""The admin screens about people and keys: one's own account, staff accounts, API tokens.

Anyone signed in manages their own password and two-factor sign-in; only admins manage other
accounts and tokens. Every change is in the audit log, by whom.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from statuspage.staff import Actor
from statuspage.staff import two_factor as totp
from statuspage.staff.accounts import (
    AccountError,
    check_password,
    create_user,
    disable_user,
    enable_user,
    list_users,
    set_password,
    set_role,
)
from statuspage.staff.tokens import TokenError, create_token, list_tokens, revoke_token
from statuspage.staff.writes import audit
from statuspage.store.db import db, utcnow
from statuspage.store.models import User
from statuspage.web.admin_forms import ButtonForm, CodeForm, PasswordForm, TokenForm, UserForm
from statuspage.web.auth import admin_only, guard

bp = Blueprint("accounts", __name__, url_prefix="/admin")
guard(bp)


def _actor() -> Actor:
    return Actor(current_user.email)


def _attempt(change: Any, success: str) -> bool:
    """Run an account or token change; flash its error instead of failing."""
    try:
        change()
    except (AccountError, TokenError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return False
    flash(success, "info")
    return True


# ---------------------------------------------------------------------------------------
# One's own account


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Change one's password; see and change two-factor sign-in."""
    form = PasswordForm()
    if form.validate_on_submit():
        if check_password(current_user.email, form.current.data) is None:
            flash("The current password is not right.", "error")
        elif _attempt(
            lambda: set_password(current_user.email, form.new.data, actor=_actor()),
            "Password changed: every other session of this account has ended.",
        ):
            session["sv"] = current_user.session_version  # this one goes on
            return redirect(url_for("accounts.account"))
    return render_template(
        "admin/account.html",
        form=form,
        button=ButtonForm(),
        recovery_left=totp.unused_recovery_codes(current_user),
    ), (422 if request.method == "POST" else 200)


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor():
    """Set up two-factor sign-in: scan the code, type one back, keep the recovery codes."""
    if current_user.has_two_factor:
        return redirect(url_for("accounts.account"))
    secret = session.get("enrolling") or totp.new_secret()
    session["enrolling"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = totp.enable(current_user, secret, form.code.data, _actor(), utcnow())
        if codes is not None:
            session.pop("enrolling", None)
            flash("Two-factor sign-in is on.", "info")
            return render_template("admin/recovery_codes.html", codes=codes)
        flash("That code is not right: check the phone's clock, then try the next one.", "error")
    site = current_app.config["STATUS"].site
    uri = totp.provisioning_uri(secret, current_user.email, f"{site.name} Status")
    return render_template(
        "admin/two_factor.html",
        form=form,
        secret=secret,
        qr_code=totp.qr_code_data_uri(uri),
    ), (422 if request.method == "POST" else 200)


@bp.post("/account/recovery-codes")
def recovery_codes():
    """Replace one's recovery codes with new ones, shown once."""
    if not current_user.has_two_factor:
        return redirect(url_for("accounts.account"))
    codes = totp.regenerate_recovery_codes(current_user, _actor(), utcnow())
    return render_template("admin/recovery_codes.html", codes=codes)


# ---------------------------------------------------------------------------------------
# Staff accounts (admins)


@bp.route("/users", methods=["GET", "POST"])
@admin_only
def users():
    """List staff accounts and create one."""
    form = UserForm()
    if form.validate_on_submit() and _attempt(
        lambda: create_user(
            form.email.data, form.password.data, role=form.role.data, actor=_actor()
        ),
        f"Account created for {form.email.data.strip().lower()}.",
    ):
        return redirect(url_for("accounts.users"))
    return render_template(
        "admin/users.html", users=list_users(), form=form, button=ButtonForm()
    ), (422 if request.method == "POST" else 200)


@bp.post("/users/<int:user_id>")
@admin_only
def change_user(user_id: int):
    """Change an account's role, disable or enable it, or reset its two-factor sign-in."""
    user = db.session.get(User, user_id)
    if user is None or not ButtonForm().validate_on_submit():
        return redirect(url_for("accounts.users"))
    action, now = request.form.get("action"), utcnow()
    changes = {
        "role": (lambda: set_role(user.email, request.form.get("role", ""), actor=_actor()),
                 f"{user.email} is now {request.form.get('role')}."),
        "disable": (lambda: disable_user(user.email, actor=_actor()),
                    f"{user.email} is disabled; its sessions have ended."),
        "enable": (lambda: enable_user(user.email, actor=_actor()), f"{user.email} is enabled."),
        "reset-2fa": (lambda: totp.reset(user, _actor(), now),
                      f"Two-factor sign-in of {user.email} is off: it enrols again."),
    }  # fmt: skip
    if user.id == current_user.id and action in ("disable", "role"):
        flash("Ask another admin to change your own role or disable your account.", "error")
    elif action in changes:
        _attempt(*changes[action])
    return redirect(url_for("accounts.users"))


# ---------------------------------------------------------------------------------------
# API tokens (admins)


@bp.route("/tokens", methods=["GET", "POST"])
@admin_only
def tokens():
    """List API tokens, create one (shown once) and revoke them."""
    form, created = TokenForm(), None
    if form.validate_on_submit():
        name, now = form.name.data.strip(), utcnow()
        try:
            created = create_token(
                name, form.scope.data, now=now, location=form.location.data or None
            )
        except TokenError as error:
            flash(str(error), "error")
        else:
            audit(_actor(), "token.create", f"token:{name}", None, {"scope": form.scope.data}, now)
            db.session.commit()
            flash(f"Token {name!r} created: copy it now, it cannot be shown again.", "info")
    return render_template(
        "admin/tokens.html", tokens=list_tokens(), form=form, button=ButtonForm(), created=created
    ), (422 if request.method == "POST" and created is None else 200)


@bp.post("/tokens/revoke")
@admin_only
def revoke():
    """Revoke a token: requests carrying it are refused from now on."""
    name = request.form.get("name", "")
    if ButtonForm().validate_on_submit() and _attempt(
        lambda: revoke_token(name), f"Token {name!r} revoked."
    ):
        audit(_actor(), "token.revoke", f"token:{name}", None, None, utcnow())
        db.session.commit()
    return redirect(url_for("accounts.tokens"))
