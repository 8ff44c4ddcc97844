"""Contact lists uploaded for invitations: all rows or none, then one audit event."""

from __future__ import annotations

from ..access.audit import record_audit
from ..extensions import db
from ..models import (
    Campaign,
    Group,
    Unit,
)
from .common import _flush
from .invitations import ImportRejected, ImportResult, import_invitations


def import_contacts(
    data: bytes,
    *,
    campaign: Campaign | None,
    group: Group | None,
    unit: Unit | None = None,
    channel: str = "link",
) -> ImportResult:
    """The CLI's `flask survey invite`, from an upload: all rows or none, then one audit event.

    Raises ImportRejected (nothing stored) with every problem and its line.
    """
    try:
        result = import_invitations(
            data,
            campaign_code=campaign.code if campaign else "",
            group_code=group.code if group else "",
            unit_code=unit.code if unit else None,
            channel=channel,
        )
    except ImportRejected:
        db.session.rollback()
        raise
    record_contact_import(result, unit_code=unit.code if unit else None, channel=channel)
    _flush()
    return result


def record_contact_import(result: ImportResult, *, unit_code: str | None, channel: str) -> None:
    """The audit event of a contact import, from the web or `flask survey invite`; not committed.

    One place for its fields, so the trail reads the same whichever way contacts came in.
    """
    record_audit(
        "contacts.import",
        "campaign",
        result.campaign.id,
        after={
            "group": result.group.code,
            "unit": unit_code,
            "channel": channel,
            "invitations": result.invitations,
            "encoding": result.encoding,
        },
        campaign_id=result.campaign.id,
    )
