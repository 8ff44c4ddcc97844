"""Set-up views: thin; every change goes through a plain function that records the audit.

This module: the overview, units and service points (with their posters, QR
codes and ticket sheets) and the respondent groups.
"""

from __future__ import annotations

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import setup as service
from ..channels.links import point_url
from ..channels.print_sheets import poster_html, ticket_sheet_html
from ..channels.qr import qr_png, qr_svg
from ..channels.receipts import ROLLS, receipts_pdf
from ..extensions import db
from ..labels import group_label
from ..models import Campaign, Group, ServicePoint, Unit, units_in_code_order
from ..web.guards import role_required
from ..web.navigation import whole_number
from . import bp
from .forms import (
    AddGroupForm,
    MoveGroupForm,
    OwnGroupForm,
    ServicePointForm,
    TicketSheetForm,
    UnitForm,
    options,
)

SETUP_ROLES = ("admin", "evaluator")


def no_store(body: str | bytes, mimetype: str = "text/html") -> Response:
    """A response that no cache keeps (pages with one-time tokens or links)."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@role_required(*SETUP_ROLES)
def index() -> ResponseReturnValue:
    counts = service.overview_counts()
    return render_template("admin/index.html", counts=counts)


# --- units and service points ------------------------------------------------------------------


@bp.route("/units")
@role_required(*SETUP_ROLES)
def units() -> ResponseReturnValue:
    rows = units_in_code_order()
    return render_template("admin/units.html", units=rows)


@bp.route("/units/new", methods=["GET", "POST"], endpoint="unit_new")
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"], endpoint="unit_edit")
@role_required(*SETUP_ROLES)
def unit_form(unit_id: int | None = None) -> ResponseReturnValue:
    unit = db.get_or_404(Unit, unit_id) if unit_id is not None else None
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            saved = service.save_unit(
                unit,
                code=form.code.data or "",
                name=form.name.data or "",
                kind=form.kind.data,
                sms_signature=form.sms_signature.data,
            )
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Unit %(code)s saved.", code=saved.code))
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit)


def unit_pairs() -> list[tuple[int, str]]:
    """(id, "code · name") of every unit, for the selects."""
    return [
        (u.id, f"{u.code} · {u.name}")
        for u in units_in_code_order()
    ]


@bp.route("/points/new", methods=["GET", "POST"], endpoint="point_new")
@bp.route("/points/<int:point_id>", methods=["GET", "POST"], endpoint="point_edit")
@role_required(*SETUP_ROLES)
def point_form(point_id: int | None = None) -> ResponseReturnValue:
    point = db.get_or_404(ServicePoint, point_id) if point_id is not None else None
    form = ServicePointForm(obj=point)
    form.unit_id.choices = options(unit_pairs())
    wanted_unit = whole_number(request.args.get("unit"))
    if point is None and request.method == "GET" and wanted_unit is not None:
        form.unit_id.data = wanted_unit
    if form.validate_on_submit():
        try:
            saved = service.save_service_point(
                point,
                unit=db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None,
                code=form.code.data or "",
                name=form.name.data or "",
            )
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Service point %(code)s saved.", code=saved.code))
            return redirect(url_for("admin.units"))
    return render_template("admin/point_form.html", form=form, point=point)


@bp.route("/points/<int:point_id>/poster")
@role_required(*SETUP_ROLES)
def point_poster(point_id: int) -> ResponseReturnValue:
    return poster_html(db.get_or_404(ServicePoint, point_id))


@bp.route("/points/<int:point_id>/qr.png")
@role_required(*SETUP_ROLES)
def point_qr_png(point_id: int) -> ResponseReturnValue:
    point = db.get_or_404(ServicePoint, point_id)
    response = make_response(qr_png(point_url(point)))
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = f'inline; filename="{point.code}.png"'
    return response


@bp.route("/points/<int:point_id>/qr.svg")
@role_required(*SETUP_ROLES)
def point_qr_svg(point_id: int) -> ResponseReturnValue:
    point = db.get_or_404(ServicePoint, point_id)
    response = make_response(qr_svg(point_url(point)))
    response.mimetype = "image/svg+xml"
    response.headers["Content-Disposition"] = f'inline; filename="{point.code}.svg"'
    return response


@bp.route("/points/<int:point_id>/tickets", methods=["GET", "POST"])
@role_required(*SETUP_ROLES)
def point_tickets(point_id: int) -> ResponseReturnValue:
    """Issue real tickets and answer with their printable sheet (the tokens are shown once).

    On A4 the sheet is an HTML page; for a receipt printer a PDF the roll's width.
    """
    point = db.get_or_404(ServicePoint, point_id)
    campaigns = [c for c in service.campaigns_newest_first() if point.unit in c.units]
    form = TicketSheetForm()
    form.campaign_id.choices = options((c.id, f"{c.code} · {c.name}") for c in campaigns)
    if form.validate_on_submit():
        try:
            sheet = service.issue_ticket_sheet(
                db.session.get(Campaign, form.campaign_id.data), point, form.count.data
            )
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            roll = ROLLS.get(form.layout.data or "")
            if roll is None:
                return no_store(ticket_sheet_html(point, sheet))
            pdf = receipts_pdf(point, [(t.number, t.url) for t in sheet], roll)
            response = no_store(pdf, "application/pdf")
            name = f"tickets-{point.code}-{roll.key}.pdf"
            response.headers["Content-Disposition"] = f'inline; filename="{name}"'
            return response
    return render_template(
        "admin/tickets_form.html", form=form, point=point, max_tickets=service.MAX_SHEET_TICKETS
    )


# --- groups ------------------------------------------------------------------------------------


@bp.route("/groups", methods=["GET", "POST"])
@role_required(*SETUP_ROLES)
def groups() -> ResponseReturnValue:
    form = AddGroupForm()
    form.code.choices = options((code, group_label(code)) for code in service.missing_group_codes())
    if form.validate_on_submit():
        try:
            group = service.add_group(form.code.data or "")
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Group %(group)s added.", group=group_label(group.code)))
            return redirect(url_for("admin.groups"))
    elif request.method == "POST":
        flash(_("Choose a group to add."), "error")
    return render_template(
        "admin/groups.html",
        form=form,
        groups=service.groups_in_order(),
        move_form=MoveGroupForm(),
        own_form=OwnGroupForm(formdata=None),
    )


@bp.route("/groups/<int:group_id>/move", methods=["POST"])
@role_required(*SETUP_ROLES)
def group_move(group_id: int) -> ResponseReturnValue:
    group = db.get_or_404(Group, group_id)
    form = MoveGroupForm()
    if form.validate_on_submit():
        try:
            service.move_group(group, form.direction.data or "")
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
    else:
        flash(_("The form has expired; please try again."), "error")
    return redirect(url_for("admin.groups"))


from . import (  # noqa: E402,F401
    account_views,
    campaign_views,
    device_views,
    group_views,
    opening_views,
)
