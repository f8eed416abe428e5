"""The signed-in session: a fresh one on every sign-in, and the half-way state.

Between a right password and a right TOTP code the session holds only
"pending_sign_in"; nothing is signed in, so every page still asks to log in.
"""

import time
from urllib.parse import urlsplit

from flask import current_app, redirect, session, url_for
from flask_login import login_user

from lms.extensions import db
from lms.models import User
from lms.operations import accounts

#: Seconds a password stays good for entering the code.
PENDING_SECONDS = 300


def safe_next(target: str | None) -> str:
    """Return a local redirect target, never another site.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil"
    and "/\t/evil" would lead off site just as "//evil" does.
    """
    if target and target.startswith("/") and not urlsplit(target).netloc:
        if not target.startswith("//") and "\\" not in target and target.isprintable():
            return target
    return url_for("learn.dashboard")


def needs_enrolment(user: User) -> bool:
    """Return whether policy makes this admin set up TOTP before anything else."""
    return (
        current_app.config["LMS_REQUIRE_ADMIN_TOTP"]
        and user.has_role("admin")
        and not user.totp_enabled
    )


def start_session(user: User, next_url: str | None = None):
    """Sign a fully authenticated user in with a new session; return the redirect."""
    # Nothing from before sign-in survives, so a planted session cannot be used.
    session.clear()
    login_user(user)
    accounts.complete_sign_in(user)
    if needs_enrolment(user):
        return redirect(url_for("auth.two_factor"))
    return redirect(safe_next(next_url))


def renew_session(user: User) -> None:
    """Keep the current browser signed in after its session token changed."""
    session.clear()
    login_user(user)


def begin_pending(user: User, next_url: str | None) -> None:
    """Remember that the password was right; the code comes next."""
    session.clear()
    session["pending_sign_in"] = {
        "user": user.get_id(),
        "next": next_url,
        "at": time.time(),
    }


def pending() -> tuple[User, str | None] | None:
    """Return the user waiting for the code step and where to go after it."""
    state = session.get("pending_sign_in")
    if not isinstance(state, dict):
        return None
    if time.time() - float(state.get("at", 0)) > PENDING_SECONDS:
        clear_pending()
        return None
    user_id, _, token = str(state.get("user", "")).partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not user.matches_session(token):
        clear_pending()
        return None
    return user, state.get("next")


def clear_pending() -> None:
    """Forget the half-way state."""
    session.pop("pending_sign_in", None)
