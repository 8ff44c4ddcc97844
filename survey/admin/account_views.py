"""Users, API tokens and the audit trail: administrators only (thin views)."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user

from .. import setup as service
from ..extensions import db
from ..models import ApiToken, Unit, User, campaigns_newest_first
from ..web.guards import role_required
from ..web.navigation import page_number, whole_number
from . import bp
from .forms import (
    NONE,
    ROLE_LABELS,
    ActionForm,
    PasswordForm,
    TokenForm,
    UserEditForm,
    UserForm,
    options,
)
from .routes import no_store, unit_pairs

AUDIT_PAGE_SIZE = 50


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> ResponseReturnValue:
    """The accounts, and the form to add one (passwords and hashes are never shown)."""
    form = UserForm()
    form.unit_id.choices = options([(NONE, "–"), *unit_pairs()])
    if form.validate_on_submit():
        try:
            user = service.add_user(
                username=form.username.data or "",
                password=form.password.data or "",
                role=form.role.data or "",
                display_name=form.display_name.data or "",
                unit=db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
            )
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username))
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "error")
    rows = service.users_by_name()
    return render_template(
        "admin/users.html",
        form=form,
        users=rows,
        action_form=ActionForm(),
        password_form=PasswordForm(),
        role_labels=ROLE_LABELS,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int) -> ResponseReturnValue:
    """One account's display name, role and unit (for a handler or liaison)."""
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    form.unit_id.choices = options([(NONE, "–"), *unit_pairs()])
    if request.method == "GET":
        form.unit_id.data = user.unit_id or NONE
    if form.validate_on_submit():
        try:
            changed = service.update_user(
                user,
                display_name=form.display_name.data or "",
                role=form.role.data or "",
                unit=db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
                by=current_user,
            )
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            if changed:
                flash(_("Account %(name)s saved.", name=user.username))
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "error")
    return render_template("admin/user_edit.html", form=form, user=user)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def user_active(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    form = ActionForm()
    if form.validate_on_submit():
        wanted = request.form.get("active") == "1"
        try:
            service.set_user_active(user, wanted, by=current_user)
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _("Account %(name)s reactivated.", name=user.username)
                if wanted
                else _("Account %(name)s deactivated.", name=user.username)
            )
    else:
        flash(_("The form has expired; please try again."), "error")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def user_password(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(user, form.password.data or "")
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            if user.id == current_user.id:
                # One's own reset ends one's other sessions, not the one that made it.
                login_user(user)
            flash(_("The password of %(name)s was changed.", name=user.username))
    else:
        flash(_("Type the new password."), "error")
    return redirect(url_for("admin.users"))


@bp.route("/tokens", methods=["GET", "POST"])
@role_required("admin")
def tokens() -> ResponseReturnValue:
    """API tokens; a new token is shown once on the page that created it, never again."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            row, new_token = service.create_api_token(form.name.data or "", by=current_user)
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
            flash(_("Token %(id)s for %(name)s created.", id=row.id, name=row.name))
    elif request.method == "POST":
        flash(_("Give the token a name."), "error")
    rows = service.tokens_newest_first()
    page = render_template(
        "admin/tokens.html",
        form=form,
        tokens=rows,
        new_token=new_token,
        action_form=ActionForm(),
    )
    return no_store(page)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("admin")
def token_revoke(token_id: int) -> ResponseReturnValue:
    row = db.get_or_404(ApiToken, token_id)
    if ActionForm().validate_on_submit():
        try:
            service.revoke_api_token(row)
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Token %(id)s revoked.", id=row.id))
    else:
        flash(_("The form has expired; please try again."), "error")
    return redirect(url_for("admin.tokens"))


def _loads(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}


@bp.route("/audit")
@role_required("admin")
def audit() -> ResponseReturnValue:
    """The trail, newest first, filtered by action, actor and campaign."""
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    campaign_raw = request.args.get("campaign", "").strip()
    page = page_number(request.args.get("page", "1"))
    campaign_id = whole_number(campaign_raw) if campaign_raw else None
    if page is None or (campaign_raw and campaign_id is None):
        abort(404)
    events = service.audit_page(
        action=action, actor=actor, campaign_id=campaign_id, page=page, per_page=AUDIT_PAGE_SIZE
    )
    filters = {"action": action, "actor": actor, "campaign": campaign_raw}
    if page > max(events.pages, 1):  # past the end: the last page, with the same filters
        given: dict[str, Any] = {key: value for key, value in filters.items() if value}
        return redirect(url_for("admin.audit", page=max(events.pages, 1), **given))
    rows = [
        (event, service.audit_diff(_loads(event.before), _loads(event.after)))
        for event in events.items
    ]
    campaigns = {c.id: c for c in campaigns_newest_first()}
    return render_template(
        "admin/audit.html",
        rows=rows,
        events=events,
        actions=service.audit_actions(),
        campaigns=campaigns,
        filters=filters,
    )
