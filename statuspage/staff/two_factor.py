"""Two-factor sign-in: TOTP codes from an authenticator app, and one-time recovery codes.

A secret is shown as a QR code drawn on the server (no image service sees it) and becomes the
account's only once a code from it is typed back. A code is accepted once: the time step it
was good for is remembered, so a code seen over a shoulder cannot be used again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg

from statuspage.staff.writes import Actor, audit
from statuspage.store.db import db
from statuspage.store.models import RecoveryCode, User

RECOVERY_CODES = 10
# Unambiguous letters and digits for codes people copy by hand.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
# Codes from the step before and after count too: phones and servers drift a little.
VALID_WINDOW = 1


def new_secret() -> str:
    """Return a fresh TOTP secret (base32)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """Return the otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code_data_uri(text: str) -> str:
    """Return a QR code of `text` as an SVG data: URI, drawn here (the page's CSP allows data:)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time step a code is good for around `now`, or None if it is not."""
    totp = pyotp.TOTP(secret)
    digits = "".join(code.split())
    if len(digits) != totp.digits or not digits.isdigit():
        return None
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def enable(user: User, secret: str, code: str, actor: Actor, now: datetime) -> list[str] | None:
    """Turn two-factor sign-in on once `code` proves the app holds `secret`.

    Return the recovery codes, to show once; None when the code is wrong.
    """
    step = _step(secret, code, now)
    if step is None:
        return None
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    codes = _new_recovery_codes(user)
    audit(actor, "user.two_factor.enable", f"user:{user.email}", None, None, now)
    db.session.commit()
    return codes


def reset(user: User, actor: Actor, now: datetime) -> None:
    """Turn two-factor sign-in off (a lost phone): the account enrols again at its next sign-in."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.recovery_codes.clear()
    user.session_version += 1
    audit(actor, "user.two_factor.reset", f"user:{user.email}", None, None, now)
    db.session.commit()


def verify(user: User, code: str, now: datetime) -> bool:
    """Accept a code from the authenticator, or an unused recovery code, once."""
    if user.totp_secret is None:
        return False
    step = _step(user.totp_secret, code, now)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        db.session.commit()
        return True
    wanted = _hash(code)
    for recovery in user.recovery_codes:
        if recovery.used_at is None and hmac.compare_digest(recovery.code_hash, wanted):
            recovery.used_at = now
            db.session.commit()
            return True
    return False


def regenerate_recovery_codes(user: User, actor: Actor, now: datetime) -> list[str]:
    """Replace an account's recovery codes with new ones, to show once."""
    codes = _new_recovery_codes(user)
    audit(actor, "user.two_factor.recovery_codes", f"user:{user.email}", None, None, now)
    db.session.commit()
    return codes


def unused_recovery_codes(user: User) -> int:
    """Count the recovery codes an account has left."""
    return sum(1 for recovery in user.recovery_codes if recovery.used_at is None)


def _new_recovery_codes(user: User) -> list[str]:
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    user.recovery_codes.clear()
    user.recovery_codes.extend(RecoveryCode(code_hash=_hash(code)) for code in codes)
    return codes


def _hash(code: str) -> str:
    # A fast hash is enough: a code is 50 random bits, and each guess costs a throttled sign-in.
    return hashlib.sha256("".join(code.lower().split()).encode()).hexdigest()
