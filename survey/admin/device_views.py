"""Kiosk devices: enrol a tablet at a service point, see the devices, revoke one (admins only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..channels import devices as service
from ..extensions import db
from ..models import Device, ServicePoint, units_in_code_order
from ..web.guards import role_required
from . import bp
from .forms import ActionForm, DeviceForm, options
from .routes import no_store


def _point_pairs() -> list[tuple[int, str]]:
    return [
        (point.id, f"{point.code} · {unit.name} · {point.name}")
        for unit in units_in_code_order()
        for point in unit.service_points
    ]


@bp.route("/devices", methods=["GET", "POST"])
@role_required("admin")
def devices() -> ResponseReturnValue:
    """The devices; a new one's enrolment code is shown once on the page that made it."""
    form = DeviceForm()
    form.point_id.choices = options(_point_pairs())
    new = None
    if form.validate_on_submit():
        point = db.get_or_404(ServicePoint, form.point_id.data)
        try:
            device, code = service.create_device(point, form.name.data or "", by=current_user)
        except service.DeviceError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            new = {"device": device, "code": code}
            form = DeviceForm(formdata=None)
            form.point_id.choices = options(_point_pairs())
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "error")
    page = render_template(
        "admin/devices.html",
        form=form,
        devices=service.devices_by_point(),
        new=new,
        enrol_url=url_for("respond.enrol_device", _external=False),
        action_form=ActionForm(),
    )
    return no_store(page)


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@role_required("admin")
def device_revoke(device_id: int) -> ResponseReturnValue:
    device = db.get_or_404(Device, device_id)
    if ActionForm().validate_on_submit():
        try:
            service.revoke_device(device)
        except service.DeviceError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Device %(name)s revoked: it shows the public card from now on.",
                    name=device.name,
                )
            )
    else:
        flash(_("The form has expired; please try again."), "error")
    return redirect(url_for("admin.devices"))
