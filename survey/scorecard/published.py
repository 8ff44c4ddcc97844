"""The scorecard as ``/api/v1`` serves it: cycles, unit scores per year, issued opinions.

Plain JSON-ready data, so the routes stay thin. An opinion is published only
once issued, and then as it was issued (its frozen content) with each fix's
standing (a fix by the round that stands, after the rounds that look-backs
found not rectified); a draft, and the unit's own rectification text, stay in
the office.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Cycle, Opinion, Unit
from .cycles import cycles_newest_first
from .entries import office_date, today
from .fixes import FixItem, fix_items, fix_status
from .messages import N_, ScorecardError
from .opinions import issued_content
from .score_table import score_rows
from .store import framework_of

__all__ = ["cycle_detail", "cycle_list", "issued_opinions_of", "unit_scores"]


def _summary(cycle: Cycle) -> dict[str, Any]:
    return {
        "code": cycle.code,
        "name": cycle.name,
        "framework": cycle.framework_version.file_id,
        "framework_version": cycle.framework_version.version,
        "first_year": cycle.first_year,
        "years": cycle.year_list,
    }


def cycle_list() -> list[dict[str, Any]]:
    return [_summary(cycle) for cycle in cycles_newest_first()]


def cycle_detail(cycle: Cycle) -> dict[str, Any]:
    """A cycle with its units, the campaign feeding each year, its deadlines and grades."""
    framework = framework_of(cycle.framework_version)
    return {
        **_summary(cycle),
        "total": framework.total,
        "grades": [
            {"id": g.id, "lower": g.lower, "title": dict(g.title)} for g in framework.grades
        ],
        "units": [{"code": link.unit.code, "name": link.unit.name} for link in cycle.units],
        "campaigns": [
            {"year": link.year, "campaign": link.campaign.code} for link in cycle.campaigns
        ],
        "deadlines": [
            {"year": d.year, "step": d.step, "due": d.due.isoformat()}
            for d in sorted(cycle.deadlines, key=lambda d: (d.year, d.step))
        ],
    }


def year_of(cycle: Cycle, raw: str | None) -> int:
    """``?year=``: a year of the cycle, by default its last; ScorecardError otherwise."""
    if raw is None or raw == "":
        return cycle.year_list[-1]
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4) or int(raw) not in cycle.year_list:
        raise ScorecardError(
            N_("year must be one of the cycle's years (%(first)s to %(last)s)"),
            first=cycle.first_year,
            last=cycle.year_list[-1],
        )
    return int(raw)


def unit_scores(cycle: Cycle, year: int) -> dict[str, Any]:
    rows = score_rows(cycle, year)
    for row in rows:
        for category in row["categories"]:
            category["title"] = dict(category["title"])
    return {"cycle": cycle.code, "year": year, "units": rows}


def _fix(item: FixItem, on: dt.date) -> dict[str, Any]:
    """A fix by the round that stands, with the rounds before it (their look-back's date)."""
    fix = item.current
    return {
        "position": item.position,
        "text": item.text,
        "round": fix.round,
        "due": fix.due.isoformat(),
        "status": fix_status(fix, on),
        "outcome": fix.outcome,
        "earlier_rounds": [
            {
                "round": done.round,
                "due": done.due.isoformat(),
                "outcome": done.outcome,
                "looked_back_on": office_date(done.looked_back_at).isoformat()
                if done.looked_back_at
                else None,
            }
            for done in item.rounds[:-1]
        ],
    }


def issued_opinions_of(cycle: Cycle, year: int | None = None) -> dict[str, Any]:
    """The cycle's issued opinions (of one year, if given), by year and unit code."""
    query = (
        select(Opinion, Unit)
        .join(Unit, Unit.id == Opinion.unit_id)
        .where(Opinion.cycle_id == cycle.id, Opinion.state == "issued")
        .order_by(Opinion.year, Unit.code)
    )
    if year is not None:
        query = query.where(Opinion.year == year)
    on = today()
    found = []
    for opinion, unit in db.session.execute(query).all():
        assert opinion.issued_at is not None
        found.append(
            {
                "unit": unit.code,
                "year": opinion.year,
                "issued_at": opinion.issued_at.isoformat() + "Z",
                "opinion": issued_content(opinion),
                "fixes": [_fix(item, on) for item in fix_items(opinion)],
            }
        )
    return {"cycle": cycle.code, "opinions": found}
