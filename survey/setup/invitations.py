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

from ..channels.links import add_unit_to_link, create_invitation, invitation_url
from ..contacts.files import (
    CHANNELS,
    ContactFileError,
    ContactRow,
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
    """One imported person's link and the units it asks about.

    ``token`` and ``url`` are the new link (shown once); both are None when the
    file only added units to a link the person was given before, which then
    asks about them too (``added`` are those units).
    """

    line: int
    contact: Contact
    invitation: Invitation
    units: tuple[Unit, ...]
    token: str | None
    url: str | None
    added: tuple[Unit, ...] = ()

    @property
    def unit_names(self) -> str:
        return "、".join(unit.name for unit in self.units)


@dataclass
class ImportResult:
    campaign: Campaign
    group: Group
    encoding: str
    links: list[IssuedLink]
    warnings: list[RowError]

    @property
    def new_links(self) -> list[IssuedLink]:
        """The people given a link by this import (the others had one and got units added)."""
        return [link for link in self.links if link.url is not None]

    @property
    def invitations(self) -> int:
        """Invitations created: one per person and unit."""
        return sum(len(link.added) if link.url is None else len(link.units) for link in self.links)


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


def _already_invited(campaign: Campaign, group: Group, phones: list[str]) -> dict[str, Invitation]:
    """Phone -> the lead of the link already sent to it, in this campaign and group.

    A withdrawn invitation does not count: withdrawing one is how a wrong
    entry is put right, and the person may then be invited again. A person
    found here is not refused: the file's units are added to their link.
    """
    found: dict[str, Invitation] = {}
    for start in range(0, len(phones), 500):
        chunk = phones[start : start + 500]
        rows = db.session.execute(
            select(Contact.phone, Invitation)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.group_id == group.id,
                Invitation.status != "withdrawn",
                Contact.phone.in_(chunk),
            )
            .order_by(Invitation.id)
        ).all()
        for phone, invitation in rows:
            if phone is not None:  # in the chunk asked for, so never None
                found.setdefault(phone, invitation.link_lead())
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

    already: dict[str, Invitation] = {}
    if campaign is not None and group is not None:
        already = _already_invited(campaign, group, [r.phone for r in parsed.read if r.phone])

    row_errors = _row_problems(parsed, campaign, units, unit_code, already, channel)
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
    already: dict[str, Invitation],
    channel: str,
) -> list[RowError]:
    """The problems of the rows: unknown or missing units, a unit the person already has."""
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
        lead = already.get(row.phone) if row.phone else None
        if lead is not None:
            row_errors.extend(
                RowError(row.line, problem)
                for problem in _adding_problems(
                    row.phone or "", lead, row.unit or unit_code, channel
                )
            )
    return row_errors


def _adding_problems(
    phone: str, lead: Invitation, unit_code: str | None, channel: str
) -> list[str]:
    """Why a unit cannot be added to the link a person already has, if it cannot."""
    problems = []
    if lead.channel != channel:
        problems.append(
            gettext(
                "phone number %(phone)s already has a link for this campaign and group by "
                "%(channel)s; import it with that channel to add units to the same link",
                phone=phone,
                channel=named_channel(lead.channel),
            )
        )
    asked = next((i.unit for i in lead.linked() if i.unit.code == unit_code), None)
    if asked is not None:
        problems.append(
            gettext(
                "phone number %(phone)s already has an invitation for %(unit)s in this campaign "
                "and group",
                phone=phone,
                unit=named_unit(asked),
            )
        )
    return problems


def import_invitations(
    data: bytes,
    *,
    campaign_code: str,
    group_code: str,
    unit_code: str | None = None,
    channel: str = "link",
) -> ImportResult:
    """Check a contacts CSV, then add a Contact and a link per person (not committed).

    Rows with one phone number are one person, asked about each row's unit
    through one link (one Invitation per unit). A person this campaign and
    group already invited gets the file's units added to the link they have.
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
    already = (
        _already_invited(campaign, group, [r.phone for r in parsed.rows if r.phone])
        if parsed.rows
        else {}
    )
    links: list[IssuedLink] = []
    for rows in _people(parsed.rows):
        person_units = tuple(units[row.unit or unit_code or ""] for row in rows)
        lead = already.get(rows[0].phone) if rows[0].phone else None
        if lead is not None:
            links.append(_add_units(lead, rows[0].line, person_units))
        else:
            links.append(_new_link(campaign, group, channel, rows, person_units))
    db.session.flush()
    return ImportResult(
        campaign=campaign, group=group, encoding=encoding, links=links, warnings=parsed.warnings
    )


def _add_units(lead: Invitation, line: int, units: tuple[Unit, ...]) -> IssuedLink:
    """The units of a person already invited, added to the link they have (no new link)."""
    for unit in units:
        add_unit_to_link(lead, unit)
    assert lead.contact is not None  # found by the contact's phone number
    return IssuedLink(
        line=line,
        contact=lead.contact,
        invitation=lead,
        units=tuple(i.unit for i in lead.linked()),
        token=None,
        url=None,
        added=units,
    )


def _new_link(
    campaign: Campaign,
    group: Group,
    channel: str,
    rows: list[ContactRow],
    units: tuple[Unit, ...],
) -> IssuedLink:
    """A new contact and one link asking about ``units``: the lead and one more per unit."""
    first = rows[0]
    contact = Contact(
        name=first.name,
        phone=first.phone,
        organisation=next((r.organisation for r in rows if r.organisation), None),
        language=first.language,
    )
    db.session.add(contact)
    invitation, token = create_invitation(
        campaign, group, units[0], channel=channel, contact=contact, language=first.language
    )
    for unit in units[1:]:
        add_unit_to_link(invitation, unit)
    return IssuedLink(
        line=first.line,
        contact=contact,
        invitation=invitation,
        units=units,
        token=token,
        url=invitation_url(token),
    )


def _people(rows: list[ContactRow]) -> list[list[ContactRow]]:
    """The rows of each person, in file order: rows with one phone number are one person.

    A row without a number is a person of its own (nothing tells two of them apart).
    """
    by_phone: dict[str, list[ContactRow]] = {}
    people: list[list[ContactRow]] = []
    for row in rows:
        if row.phone is None:
            people.append([row])
        elif row.phone in by_phone:
            by_phone[row.phone].append(row)
        else:
            by_phone[row.phone] = [row]
            people.append(by_phone[row.phone])
    return people


# One row per person; "units" lists every unit the link asks about (、 between them).
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
            csv_text(link.unit_names),
            link.url,
        ]
        for link in links
        if link.url is not None
    ]
