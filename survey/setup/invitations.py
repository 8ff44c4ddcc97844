"""Invitations for a list of contacts: all rows checked first, then all stored, or none.

An evaluator imports a spreadsheet of deputies, CPPCC members or experts for
one campaign and group. A half-imported list is worse than none (who got a
link? who did not?), so every row is checked against the file's own rules
(survey.contacts) and the database (units of the campaign, earlier
invitations) before a single row is added; the caller commits once.

Tokens are returned here and nowhere else: only their hashes are stored, so
the links must reach the mail merge or the screen now or be issued again.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select

from ..channels.links import create_invitation, invitation_url
from ..contacts.files import (
    CHANNELS,
    ContactFileError,
    ParsedContacts,
    RowError,
    decode_contacts,
    parse_contacts,
)
from ..extensions import db
from ..labels import channel_label, group_label
from ..models import Campaign, Contact, Group, Invitation, Unit
from ..spreadsheets import csv_text


class ImportRejected(Exception):
    """Nothing was imported; ``errors`` says why, row by row (line 1 is the header)."""

    def __init__(
        self,
        errors: list[RowError],
        encoding: str | None = None,
        warnings: list[RowError] | None = None,
    ) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors
        self.encoding = encoding
        self.warnings = warnings or []


@dataclass(frozen=True)
class IssuedLink:
    """One imported contact's invitation and the link to send them (shown once)."""

    line: int
    contact: Contact
    invitation: Invitation
    unit: Unit
    token: str
    url: str


@dataclass
class ImportResult:
    campaign: Campaign
    group: Group
    encoding: str
    links: list[IssuedLink]
    warnings: list[RowError]


def named_group(code: str) -> str:
    """A group as people read it, with the code a command line takes: 人大代表 (deputy)."""
    return f"{group_label(code)} ({code})"


def named_channel(code: str) -> str:
    return f"{channel_label(code)} ({code})"


def named_unit(unit: Unit) -> str:
    return f"{unit.name} ({unit.code})"


def named_campaign(campaign: Campaign) -> str:
    return f"{campaign.name} ({campaign.code})"


def _campaign_and_group(
    campaign_code: str, group_code: str
) -> tuple[Campaign | None, Group | None, list[str]]:
    problems: list[str] = []
    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == campaign_code)
    ).scalar_one_or_none()
    if campaign is None:
        problems.append(gettext("unknown campaign %(code)s", code=repr(campaign_code)))
    group = db.session.execute(select(Group).where(Group.code == group_code)).scalar_one_or_none()
    if group is None:
        problems.append(gettext("unknown group %(code)s", code=repr(group_code)))
    elif campaign is not None and campaign.group_settings(group.id) is None:
        problems.append(
            gettext(
                "group %(group)s is not surveyed in campaign %(campaign)s; "
                "its groups are %(known)s",
                group=named_group(group_code),
                campaign=named_campaign(campaign),
                known=", ".join(
                    named_group(settings.group.code)
                    for settings in sorted(
                        campaign.groups, key=lambda s: (s.group.position, s.group.code)
                    )
                )
                or "-",
            )
        )
    return campaign, group, problems


def _unit_problem(code: str, campaign: Campaign | None, units: dict[str, Unit]) -> str | None:
    unit = units.get(code)
    if unit is None:
        return gettext("unknown unit %(code)s", code=repr(code))
    if campaign is not None and unit not in campaign.units:
        return gettext(
            "unit %(unit)s is not evaluated in campaign %(campaign)s",
            unit=named_unit(unit),
            campaign=named_campaign(campaign),
        )
    return None


def _already_invited(campaign: Campaign, group: Group, phones: list[str]) -> dict[str, int]:
    """Phone -> an invitation id, for phones already invited to this campaign and group.

    A withdrawn invitation does not count: withdrawing one is how a wrong
    entry is put right, and the person may then be invited again.
    """
    found: dict[str, int] = {}
    for start in range(0, len(phones), 500):
        chunk = phones[start : start + 500]
        rows = db.session.execute(
            select(Contact.phone, Invitation.id)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.group_id == group.id,
                Invitation.status != "withdrawn",
                Contact.phone.in_(chunk),
            )
        ).all()
        for phone, invitation_id in rows:
            if phone is not None:  # in the chunk asked for, so never None
                found.setdefault(phone, invitation_id)
    return found


def _arguments(
    campaign_code: str, group_code: str, channel: str
) -> tuple[Campaign | None, Group | None, list[str]]:
    """The campaign and group named, and what is wrong with the command's own arguments."""
    if channel not in CHANNELS:
        raise ImportRejected(
            [
                RowError(
                    0,
                    gettext(
                        "unknown channel %(channel)s; use %(known)s",
                        channel=repr(channel),
                        known=", ".join(named_channel(code) for code in CHANNELS),
                    ),
                )
            ]
        )
    campaign, group, arg_problems = _campaign_and_group(campaign_code, group_code)
    if campaign is not None and channel not in campaign.channel_list():
        # The campaign's channels are its fieldwork plan, chosen by the evaluator and
        # shown with its results: invitations by another channel would fall outside it.
        arg_problems.append(
            gettext(
                "campaign %(campaign)s does not use the channel %(channel)s; its channels are "
                "%(known)s",
                campaign=named_campaign(campaign),
                channel=named_channel(channel),
                known=", ".join(named_channel(code) for code in campaign.channel_list()) or "-",
            )
        )
    return campaign, group, arg_problems


def check_import(
    data: bytes,
    *,
    campaign_code: str,
    group_code: str,
    unit_code: str | None = None,
    channel: str = "link",
) -> tuple[Campaign, Group, dict[str, Unit], ParsedContacts, str]:
    """Everything that could go wrong, found before anything is written; raises ImportRejected.

    Returns the campaign, group, units by code, the parsed file and its encoding.
    Problems with the command's own arguments are reported on line 0 (no line
    of the file); those of the header on line 1.
    """
    campaign, group, arg_problems = _arguments(campaign_code, group_code, channel)
    errors = [RowError(0, problem) for problem in arg_problems]
    try:
        text, encoding = decode_contacts(data)
        parsed = parse_contacts(
            text, phone_required=channel in ("sms", "phone"), mobile_only=channel == "sms"
        )
    except ContactFileError as error:
        raise ImportRejected([*errors, RowError(0, str(error))]) from None
    warnings = parsed.warnings

    wanted = {row.unit for row in parsed.read if row.unit}
    if unit_code:
        wanted.add(unit_code)
    units = {
        unit.code: unit
        for unit in db.session.execute(select(Unit).where(Unit.code.in_(sorted(wanted)))).scalars()
    }
    default_problem = _unit_problem(unit_code, campaign, units) if unit_code else None
    if default_problem:
        errors.append(RowError(0, default_problem))

    already: dict[str, int] = {}
    if campaign is not None and group is not None:
        already = _already_invited(campaign, group, [r.phone for r in parsed.read if r.phone])

    row_errors = _row_problems(parsed, campaign, units, unit_code, already)
    errors.extend(sorted(row_errors, key=lambda error: error.line))
    if errors:
        raise ImportRejected(errors, encoding, warnings)
    assert campaign is not None and group is not None
    return campaign, group, units, parsed, encoding


def _row_problems(
    parsed: ParsedContacts,
    campaign: Campaign | None,
    units: dict[str, Unit],
    unit_code: str | None,
    already: dict[str, int],
) -> list[RowError]:
    """The problems of the rows: unknown or missing units, people already invited."""
    row_errors = list(parsed.errors)
    for row in parsed.read:
        if row.unit:
            problem = _unit_problem(row.unit, campaign, units)
            if problem:
                row_errors.append(RowError(row.line, problem))
        elif not unit_code:
            row_errors.append(
                RowError(row.line, gettext("no unit: give --unit or a unit column for this row"))
            )
        if row.phone and row.phone in already:
            row_errors.append(
                RowError(
                    row.line,
                    gettext(
                        "phone number %(phone)s already has an invitation for this campaign "
                        "and group",
                        phone=row.phone,
                    ),
                )
            )
    return row_errors


def import_invitations(
    data: bytes,
    *,
    campaign_code: str,
    group_code: str,
    unit_code: str | None = None,
    channel: str = "link",
) -> ImportResult:
    """Check a contacts CSV, then add one Contact and one Invitation per row (not committed).

    Raises ImportRejected, having added nothing, if any row is bad. The
    caller commits (one transaction for the whole file) and must hand the
    returned links on at once: the tokens are not stored.
    """
    campaign, group, units, parsed, encoding = check_import(
        data,
        campaign_code=campaign_code,
        group_code=group_code,
        unit_code=unit_code,
        channel=channel,
    )
    links: list[IssuedLink] = []
    for row in parsed.rows:
        unit = units[row.unit or unit_code or ""]
        contact = Contact(
            name=row.name, phone=row.phone, organisation=row.organisation, language=row.language
        )
        db.session.add(contact)
        invitation, token = create_invitation(
            campaign, group, unit, channel=channel, contact=contact, language=row.language
        )
        links.append(
            IssuedLink(
                line=row.line,
                contact=contact,
                invitation=invitation,
                unit=unit,
                token=token,
                url=invitation_url(token),
            )
        )
    db.session.flush()
    return ImportResult(
        campaign=campaign, group=group, encoding=encoding, links=links, warnings=parsed.warnings
    )


LINK_COLUMNS: tuple[str, ...] = ("name", "organisation", "unit", "link")


def write_links_csv(links: list[IssuedLink], path: Path) -> Path:
    """Write the links for a mail merge next to ``path``; returns the file written.

    The file is written under a temporary name beside ``path`` and the caller
    renames it into place once the invitations are committed, so a list of
    links never exists for invitations that were not stored. UTF-8 with a
    byte-order mark, because that is what makes Excel read Chinese names right.
    """
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LINK_COLUMNS)
        writer.writerows(link_rows(links))
    return partial


def link_rows(links: list[IssuedLink]) -> list[list[str]]:
    """The rows of a links file under LINK_COLUMNS, each text safe to open in a spreadsheet."""
    return [
        [
            csv_text(link.contact.name),
            csv_text(link.contact.organisation or ""),
            csv_text(link.unit.name),
            link.url,
        ]
        for link in links
    ]
