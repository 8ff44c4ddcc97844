"""Evaluation cycles: a stored framework version applied to units over (usually) three years.

Opening a cycle checks everything a later year would otherwise trip over, and
refuses with a message naming the problem: a draft campaign (test answers only),
a campaign feeding a year it does not cover, a unit the feeding campaign does
not survey (its survey items would have no data), a dimension the framework's
survey items need that no group of the campaign answers. Nothing is stored
unless every check passes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..access.audit import record_audit
from ..extensions import db
from ..instruments.store import current_instruments
from ..models import (
    CYCLE_STEPS,
    DEFAULT_CYCLE_YEARS,
    Campaign,
    CampaignGroup,
    Cycle,
    CycleCampaign,
    CycleDeadline,
    CycleUnit,
    FrameworkVersion,
    Group,
    Unit,
    User,
    utcnow,
)
from .framework import Framework
from .messages import N_, ScorecardError
from .store import current_library, framework_of, framework_version, unit_set_of

__all__ = [
    "CycleRefused",
    "CycleSpec",
    "approve_unit_set",
    "cycle_by_code",
    "cycle_years",
    "cycles_newest_first",
    "deadline_of",
    "framework_for_unit",
    "frameworks_not_stored",
    "offered_framework",
    "offered_frameworks",
    "open_cycle",
]

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_NAME = 200  # the column's length


class CycleRefused(ScorecardError):
    """A cycle refused, with the part of the request at fault, for a form to point at.

    ``part`` is "code", "name", "framework", "first_year", "years", "units",
    "campaign:<year>" or "deadline:<year>:<step>".
    """

    def __init__(self, part: str, msgid: str, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.part = part


@dataclass(frozen=True)
class CycleSpec:
    """What an evaluator asks for when opening a cycle (from a form or the command line)."""

    code: str
    name: str
    framework: FrameworkVersion
    first_year: int
    units: Sequence[Unit]
    years: int = DEFAULT_CYCLE_YEARS
    campaigns: Mapping[int, Campaign] = field(default_factory=dict)
    deadlines: Mapping[tuple[int, str], dt.date] = field(default_factory=dict)


def cycle_by_code(code: str) -> Cycle | None:
    return db.session.execute(select(Cycle).where(Cycle.code == code)).scalar_one_or_none()


def cycles_newest_first() -> list[Cycle]:
    return list(
        db.session.execute(
            select(Cycle).order_by(Cycle.first_year.desc(), Cycle.id.desc())
        ).scalars()
    )


def open_cycle(spec: CycleSpec) -> Cycle:
    """A new cycle, every part checked first (ScorecardError, and nothing added, if not)."""
    framework = _check_spec(spec)
    for year, campaign in sorted(spec.campaigns.items()):
        check_feeding_campaign(framework, year, campaign, spec.units)
    cycle = Cycle(
        code=spec.code,
        name=spec.name.strip(),
        framework_version_id=spec.framework.id,
        first_year=spec.first_year,
        years=spec.years,
    )
    cycle.units = [CycleUnit(unit_id=unit.id) for unit in spec.units]
    cycle.campaigns = [
        CycleCampaign(year=year, campaign_id=campaign.id)
        for year, campaign in sorted(spec.campaigns.items())
    ]
    cycle.deadlines = [
        CycleDeadline(year=year, step=step, due=due)
        for (year, step), due in sorted(spec.deadlines.items())
    ]
    db.session.add(cycle)
    db.session.flush()
    record_audit(
        "cycle.open",
        "evaluation_cycle",
        cycle.id,
        after={
            "code": cycle.code,
            "framework": f"{spec.framework.file_id} {spec.framework.version[:12]}",
            "years": f"{spec.first_year}-{spec.first_year + spec.years - 1}",
            "units": [unit.code for unit in spec.units],
            "campaigns": {str(y): c.code for y, c in sorted(spec.campaigns.items())},
        },
    )
    return cycle


def _check_spec(spec: CycleSpec) -> Framework:
    if not CODE.match(spec.code or ""):
        raise CycleRefused(
            "code",
            N_(
                "A cycle's code is 1 to 40 lowercase letters, digits, '-' or '_', "
                "starting with a letter or digit: %(code)s is not."
            ),
            code=repr(spec.code),
        )
    if cycle_by_code(spec.code) is not None:
        raise CycleRefused(
            "code", N_("A cycle with the code %(code)s already exists."), code=spec.code
        )
    if not spec.name.strip():
        raise CycleRefused("name", N_("Give the cycle a name."))
    if len(spec.name.strip()) > MAX_NAME:
        raise CycleRefused(
            "name", N_("A cycle's name is at most %(n)s characters long."), n=MAX_NAME
        )
    years = cycle_years(spec.first_year, spec.years)
    if spec.framework.kind != "framework":
        raise CycleRefused(
            "framework", N_("A cycle is scored on a framework, not on a unit's set.")
        )
    if not spec.units:
        raise CycleRefused("units", N_("Choose at least one unit to evaluate."))
    parts = [(y, f"campaign:{y}") for y in spec.campaigns]
    parts += [(y, f"deadline:{y}:{step}") for y, step in spec.deadlines]
    for year, part in parts:
        if year not in years:
            raise CycleRefused(
                part,
                N_("%(year)s is not a year of the cycle (%(first)s to %(last)s)."),
                year=year,
                first=years[0],
                last=years[-1],
            )
    for year, step in spec.deadlines:
        if step not in CYCLE_STEPS:
            raise CycleRefused(
                f"deadline:{year}:{step}",
                N_("Unknown step %(step)s; the steps are %(steps)s."),
                step=repr(step),
                steps=", ".join(CYCLE_STEPS),
            )
    return framework_of(spec.framework)


def cycle_years(first_year: int, years: int) -> list[int]:
    """The calendar years of a cycle, or CycleRefused when they are not possible."""
    if not 1 <= years <= 10:
        raise CycleRefused("years", N_("A cycle lasts 1 to 10 years, not %(years)s."), years=years)
    if not 2000 <= first_year <= 2100 - years:
        raise CycleRefused(
            "first_year", N_("%(year)s is not a possible first year."), year=first_year
        )
    return list(range(first_year, first_year + years))


def offered_frameworks() -> list[FrameworkVersion]:
    """What a new cycle may be scored on: each framework file's current version, once stored.

    An older stored version is not offered (a file edited since changes what new
    cycles get); a file not stored yet is named by frameworks_not_stored.
    """
    rows = (framework_version(f.version) for f in current_library().frameworks.values())
    return sorted((row for row in rows if row is not None), key=lambda row: row.file_id)


def frameworks_not_stored() -> list[str]:
    """The ids of framework files whose current version is not stored yet (not offered)."""
    return sorted(
        f.id for f in current_library().frameworks.values() if framework_version(f.version) is None
    )


def offered_framework(framework_id: str) -> FrameworkVersion:
    """The stored current version of the framework ``framework_id``; CycleRefused if none."""
    row = next((r for r in offered_frameworks() if r.file_id == framework_id), None)
    if row is None:
        raise CycleRefused(
            "framework",
            N_(
                "There is no stored framework %(framework)s: choose one of the list (a framework "
                "file is offered once %(command)s has stored it)."
            ),
            framework=repr(framework_id),
            command="flask survey framework load",
        )
    return row


def check_feeding_campaign(
    framework: Framework, year: int, campaign: Campaign, units: Sequence[Unit]
) -> None:
    """Refuse a campaign that cannot feed ``year``'s survey items for every unit.

    A draft cannot: its answers are test answers, which count in no figure (and
    are deleted when it opens), so its items would have no data. The web form
    offers no draft; this refusal holds for the command line and any other caller.
    """
    if campaign.draft:
        raise CycleRefused(
            f"campaign:{year}",
            N_(
                "Campaign %(campaign)s is a draft: it has only test answers, which count in "
                "no figure. Open it (on its set-up page) before it feeds a year of a cycle."
            ),
            campaign=campaign.code,
        )
    if not campaign.period_start.year <= year <= campaign.period_end.year:
        raise CycleRefused(
            f"campaign:{year}",
            N_(
                "Campaign %(campaign)s does not cover %(year)s (its period is %(start)s "
                "to %(end)s)."
            ),
            campaign=campaign.code,
            year=year,
            start=campaign.period_start.isoformat(),
            end=campaign.period_end.isoformat(),
        )
    surveyed = {unit.id for unit in campaign.units}
    for unit in units:
        if unit.id not in surveyed:
            raise CycleRefused(
                f"campaign:{year}",
                N_(
                    "Unit %(unit)s is not surveyed by campaign %(campaign)s, which feeds "
                    "%(year)s: its survey items would have no data."
                ),
                unit=unit.code,
                campaign=campaign.code,
                year=year,
            )
    fed = _fed_by_dimension(campaign)
    for item in framework.items:
        if item.survey is None:
            continue
        if item.survey.indicator not in fed.get(item.survey.dimension, set()):
            raise CycleRefused(
                f"campaign:{year}",
                N_(
                    "Item %(item)s needs %(indicator)s from the %(dimension)s dimension, and "
                    "no group of campaign %(campaign)s answers it."
                ),
                item=item.id,
                indicator=item.survey.indicator,
                dimension=item.survey.dimension,
                campaign=campaign.code,
            )


def _fed_by_dimension(campaign: Campaign) -> dict[str, set[str]]:
    """Dimension -> the indicators some group of that dimension answers in the campaign."""
    rows = db.session.execute(
        select(Group.dimension, CampaignGroup.instrument_id)
        .join(Group, Group.id == CampaignGroup.group_id)
        .where(CampaignGroup.campaign_id == campaign.id)
    ).all()
    instruments = current_instruments()
    fed: dict[str, set[str]] = {}
    for dimension, instrument_id in rows:
        instrument = instruments.get(instrument_id)
        if instrument is not None:
            fed.setdefault(dimension, set()).update(instrument.indicators)
    return fed


def framework_for_unit(cycle: Cycle, unit_id: int) -> Framework:
    """The framework a unit is scored on: the cycle's, with its approved individual set."""
    framework = framework_of(cycle.framework_version)
    link = _cycle_unit(cycle, unit_id)
    if link.unit_set_version is None:
        return framework
    return framework.for_unit_set(unit_set_of(link.unit_set_version, framework))


def _cycle_unit(cycle: Cycle, unit_id: int) -> CycleUnit:
    link = db.session.get(CycleUnit, (cycle.id, unit_id))
    if link is None:
        raise ScorecardError(N_("This unit is not evaluated in cycle %(cycle)s."), cycle=cycle.code)
    return link


def approve_unit_set(cycle: Cycle, unit: Unit, unit_set: FrameworkVersion, user: User) -> None:
    """Record an evaluator's approval of a unit's individual items for the cycle (audited)."""
    link = _cycle_unit(cycle, unit.id)
    framework = framework_of(cycle.framework_version)
    if unit_set.kind != "unit_set" or unit_set.extends_version != framework.version:
        raise ScorecardError(
            N_("This set was not written for the cycle's framework version %(version)s."),
            version=framework.version[:12],
        )
    parsed = unit_set_of(unit_set, framework)
    if unit.code not in parsed.units:
        raise ScorecardError(
            N_("The set %(set)s is proposed for %(units)s, not for unit %(unit)s."),
            set=parsed.id,
            units=", ".join(parsed.units),
            unit=unit.code,
        )
    before = None if link.unit_set_version is None else link.unit_set_version.version[:12]
    link.unit_set_version = unit_set
    link.approved_by_id = user.id
    link.approved_at = utcnow()
    db.session.flush()
    record_audit(
        "cycle.approve_unit_set",
        "cycle_unit",
        f"{cycle.id}:{unit.id}",
        before={"unit_set": before},
        after={"unit_set": f"{parsed.id} {unit_set.version[:12]}"},
        user=user,
    )


def deadline_of(cycle: Cycle, year: int, step: str) -> dt.date | None:
    row = db.session.get(CycleDeadline, (cycle.id, year, step))
    return None if row is None else row.due


def cycles_of_unit(unit_id: int) -> list[Cycle]:
    """The cycles evaluating a unit, newest first (what its liaison sees)."""
    return list(
        db.session.execute(
            select(Cycle)
            .join(CycleUnit, CycleUnit.cycle_id == Cycle.id)
            .where(CycleUnit.unit_id == unit_id)
            .order_by(Cycle.first_year.desc(), Cycle.id.desc())
        ).scalars()
    )
