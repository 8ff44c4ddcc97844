"""The administrators' own respondent groups: add one, rename it (audited, in survey.setup)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import setup as service
from ..extensions import db
from ..labels import group_label
from ..models import Group
from ..web.guards import role_required
from . import bp
from .forms import OwnGroupForm


@bp.route("/groups/own", methods=["POST"])
@role_required("admin")
def group_own_new() -> ResponseReturnValue:
    """Add a group of the administrator's own; on a refusal the groups page says why."""
    form = OwnGroupForm()
    if not form.validate_on_submit():
        flash(_("Please correct the fields marked below."), "error")
        return redirect(url_for("admin.groups"))
    try:
        group = service.add_own_group(form.code.data or "", form.names(), form.dimension.data)
    except service.SetupError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.groups"))
    db.session.commit()
    flash(_("Group %(group)s added.", group=group_label(group.code)))
    return redirect(url_for("admin.groups"))


@bp.route("/groups/<int:group_id>/names", methods=["GET", "POST"])
@role_required("admin")
def group_names(group_id: int) -> ResponseReturnValue:
    """Rename an administrator's own group in the three languages."""
    group = db.get_or_404(Group, group_id)
    names = group.names()
    form = OwnGroupForm(
        data={
            "code": group.code,
            "name_zh_hans": names.get("zh_Hans", ""),
            "name_zh_hant": names.get("zh_Hant", ""),
            "name_en": names.get("en", ""),
            "dimension": group.dimension,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            service.rename_own_group(group, form.names())
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Group %(group)s saved.", group=group_label(group.code)))
            return redirect(url_for("admin.groups"))
    return render_template("admin/group_names.html", form=form, group=group)
