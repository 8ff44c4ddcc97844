"""What an opinion says of the scorecard: composed from the unit's year, frozen when issued.

The composition is plain JSON-ready data (numbers, ids and the framework's
multilingual titles, never text already translated), so an issued opinion can
be drawn in any of the three languages, as a page, a PDF or a Word document,
and reads the same figures years later. Survey comments enter only through
:func:`survey.results.comments.selected_comments`: the ones an evaluator chose
for the unit's report that the disclosure rules still publish (no group below
k, the coarse period label), so the opinion discloses nothing the report would
not.
"""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import Cycle, CycleCampaign, Opinion, Unit
from ..results.comments import selected_comments
from ..stats.composite import Points
from .scoring import UnitResult, unit_years

__all__ = ["category_points", "compose", "grade_odds", "points_dict", "significant_changes"]


def points_dict(p: Points | None) -> dict[str, float] | None:
    if p is None:
        return None
    return {"points": p.points, "low": p.low, "high": p.high}


def significant_changes(result: UnitResult) -> list[dict[str, Any]]:
    """Items whose change from last year has an interval that excludes zero."""
    if result.change is None:
        return []
    found = []
    for item in result.framework.items:
        moved = result.change.items.get(item.id)
        if moved is not None and (moved.low > 0 or moved.high < 0):
            found.append({"item": item.id, "title": dict(item.title), **(points_dict(moved) or {})})
    return found


def category_points(result: UnitResult) -> list[dict[str, Any]]:
    """Each scored category's points out of its maximum (innovation: after the caps)."""
    rows = []
    for category in result.framework.categories:
        if category.is_innovation:
            got = result.innovation.by_category[category.id] if result.innovation else None
            most = category.cap
        else:
            got = (
                sum(result.composite.items[i.id].points for i in category.items)
                if result.composite is not None
                else None
            )
            most = category.points
        rows.append(
            {
                "id": category.id,
                "kind": category.kind,
                "title": dict(category.title),
                "points": got,
                "max": most,
            }
        )
    return rows


def grade_odds(result: UnitResult) -> dict[str, Any] | None:
    odds = result.composite.grade if result.composite is not None else None
    if odds is None:
        return None
    titles = {g.id: dict(g.title) for g in result.framework.grades}
    return {
        "id": odds.grade,
        "title": titles.get(odds.grade, {}),
        "uncertain": odds.uncertain,
        "probabilities": [
            {"id": g.id, "title": titles[g.id], "p": odds.probabilities.get(g.id, 0.0)}
            for g in result.framework.grades
        ],
    }


def _comments(cycle: Cycle, unit: Unit, year: int) -> list[dict[str, str]]:
    link = db.session.get(CycleCampaign, (cycle.id, year))
    if link is None:
        return []
    return [
        {"text": c.text, "group": c.group, "period": c.month}
        for c in selected_comments(link.campaign, unit.id)
    ]


def compose(opinion: Opinion, cycle: Cycle, unit: Unit) -> dict[str, Any]:
    """The opinion as it reads now: the scorecard of its year, comments, text and fixes."""
    every_year = unit_years(cycle, unit.id)
    result = next(r for r in every_year if r.year == opinion.year)
    composite = result.composite
    scored = [r for r in every_year if r.composite is not None]
    return {
        "cycle": {"code": cycle.code, "name": cycle.name},
        "unit": {"code": unit.code, "name": unit.name},
        "year": opinion.year,
        "framework": {
            "id": result.framework.id,
            "title": dict(result.framework.title),
            "total": result.framework.total,
        },
        "total": points_dict(composite.total) if composite else None,
        "grade": grade_odds(result),
        "rank": (
            {"rank": result.rank.rank, "low": result.rank.low, "high": result.rank.high}
            if result.rank
            else None
        ),
        "units": len(cycle.units),
        "change": points_dict(result.change.total) if result.change else None,
        "years": [
            {"year": r.year, **(points_dict(r.composite.total) or {})}
            for r in scored
            if r.composite is not None
        ],
        "missing": list(result.missing),
        "withheld": list(result.withheld),
        "reliable": result.reliable,
        "categories": category_points(result),
        "changes": significant_changes(result),
        "comments": _comments(cycle, unit, opinion.year),
        "problems": opinion.problems,
        "suggestions": opinion.suggestions,
        "fixes": [  # as the opinion requires them: their first rounds
            {"position": f.position, "text": f.text, "due": f.due.isoformat()}
            for f in opinion.fixes
            if f.round == 1
        ],
    }
