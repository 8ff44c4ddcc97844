"""Login and logout.

The login POST is rate limited per address (a guesser at one machine) and its
failures per username and address (survey.auth.throttle: a guesser spread over
many addresses gets one guess per address, and nobody can lock the owner out).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..access.accounts import authenticate
from ..extensions import db, limit_posts
from ..models import username_key
from ..web.guards import mark_active, public
from . import bp
from .forms import LoginForm
from .throttle import count_failure, sign_in_refused

# Where each role starts after signing in.
HOME_BY_ROLE = {
    "admin": "admin.index",
    "evaluator": "evaluate.index",
    "operator": "operator.index",
    "handler": "evaluate.followup_list",
    "liaison": "evaluate.self_assessment_home",
}


def home_for(role: str) -> str:
    endpoint = HOME_BY_ROLE.get(role, "auth.login")
    if endpoint not in current_app.view_functions:
        endpoint = "auth.login"
    return url_for(endpoint)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site, never another host (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return str(current_app.config.get("SURVEY_LOGIN_RATE_LIMIT", "10 per minute"))


@bp.route("/login", methods=["GET", "POST"])
@limit_posts(_login_limit)
@public
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or home_for(current_user.role))
    form = LoginForm()
    failure = None
    if form.validate_on_submit():
        # The username as sign-in compares it, so that no spelling escapes the count.
        name_key = username_key(form.username.data or "")[:80]
        address = request.remote_addr or ""
        if sign_in_refused(name_key, address):
            abort(429)
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            db.session.rollback()
            count_failure(name_key, address)
            # In the page's error summary, which takes the focus: a flash is not announced.
            failure = _("Wrong username or password.")
        else:
            db.session.commit()
            login_user(user)
            mark_active()
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
    return render_template("auth/login.html", form=form, failure=failure)


@bp.route("/logout", methods=["POST"])
@public
def logout() -> ResponseReturnValue:
    """Sign out here and end the account's sessions on the server.

    Signing out only forgot the cookie in this browser: a copy of it (a shared
    computer's profile, a proxy log) stayed valid. Raising the account's session
    version ends every session of the account, this one and any copy of it;
    the account's other open browsers are signed out too.
    """
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
