"""``flask survey device enrol | list | revoke``: kiosk tablets, as on ``/admin/devices``.

Each change is in the audit trail under the shell user's name; the enrolment
code is printed once (only its hash is stored) and typed on the tablet at
``/device/enrol``.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..channels import devices as service
from ..channels.links import base_url
from ..extensions import db
from ..models import Device, point_by_code

device_cli = AppGroup("device", help="Kiosk devices: enrol a tablet at a service point, revoke it.")


@device_cli.command("enrol")
@click.option("--point", "point_code", required=True, help="The service point's code.")
@click.option("--name", required=True, help="What the device is called, e.g. 'tablet at window 3'.")
def device_enrol(point_code: str, name: str) -> None:
    """Name a device at a point and print its one-time enrolment code."""
    point = point_by_code(point_code)
    if point is None:
        click.echo(f"no service point with code {point_code!r}", err=True)
        sys.exit(1)
    try:
        device, code = service.create_device(point, name, by=None)
    except service.DeviceError as problem:
        click.echo(f"not created: {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    assert device.code_expires_at is not None  # a new device waits for its code
    click.echo(f"device {device.id} ({device.name}) at {point.code}")
    click.echo(f"on the tablet open {base_url()}/device/enrol and type, before ", nl=False)
    click.echo(f"{device.code_expires_at:%Y-%m-%d %H:%M} UTC (shown once, works once):")
    click.echo(code)


@device_cli.command("list")
def device_list() -> None:
    """Every device: id, point, state, name."""
    for device in service.devices_by_point():
        click.echo(f"{device.id}\t{device.service_point.code}\t{device.state()}\t{device.name}")


@device_cli.command("revoke")
@click.argument("device_id", type=int)
def device_revoke(device_id: int) -> None:
    """End device ID's kiosk mode at once: the tablet shows the public card from then on."""
    device = db.session.get(Device, device_id)
    if device is None:
        click.echo(f"no device with id {device_id}", err=True)
        sys.exit(1)
    try:
        service.revoke_device(device)
    except service.DeviceError:
        click.echo(f"device {device_id} was already revoked")
        return
    db.session.commit()
    click.echo(f"revoked device {device_id} ({device.name})")
