"""A cycle's year scored: every unit's total with its interval, change, rank and grade.

This is where what was recorded (:mod:`.entries`), the published survey figures
(:mod:`.survey_feed`) and the arithmetic (:mod:`.sheet`, :mod:`survey.stats.composite`)
meet. A unit is scored only when every item has its figure; until then its
missing items are listed. Ranks are among the units that are scored and whose
survey figures all meet the reliability standard (DESIGN.md: unreliable figures
are never ranked). The simulation behind intervals and ranks is seeded by the
cycle and year, so a page, its export and the API show the same numbers.

The score that counts for an assessed item: the evaluators' (on-site) score
when given; for a self-assessment item without one, the unit's own.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Cycle, CycleCampaign, DataValue, ItemScore, MethodNote, ScoreEvent, Unit
from ..stats.composite import Change, CompositeScore, Rank, UnitYear, change, ranks, score
from .cycles import framework_for_unit
from .framework import Framework
from .points import Event, Innovation, innovation_points
from .sheet import missing_inputs, unit_year
from .survey_feed import SurveyFigure, survey_figures

__all__ = ["Entries", "UnitResult", "cycle_year", "seed_of", "unit_years"]


@dataclass
class Entries:
    """What one unit's year records, by item id."""

    self_scores: dict[str, ItemScore] = field(default_factory=dict)
    on_site: dict[str, ItemScore] = field(default_factory=dict)
    notes: dict[str, list[MethodNote]] = field(default_factory=dict)
    data: dict[str, DataValue] = field(default_factory=dict)
    events: list[ScoreEvent] = field(default_factory=list)

    def counted(self, framework: Framework) -> dict[str, float]:
        """Assessed item -> the score that counts (see the module's docstring)."""
        counted: dict[str, float] = {}
        for item in framework.items:
            if item.id in self.on_site:
                counted[item.id] = self.on_site[item.id].score
            elif item.source == "self-assessment" and item.id in self.self_scores:
                counted[item.id] = self.self_scores[item.id].score
        return {k: v for k, v in counted.items() if framework.item(k).source != "data"}


def entries_for(cycle: Cycle, year: int, unit_ids: Iterable[int]) -> dict[int, Entries]:
    """Unit id -> its entries for the year, in four queries for all units."""
    units = sorted(set(unit_ids))
    found: dict[int, Entries] = {unit: Entries() for unit in units}

    def rows(model: Any) -> Sequence[Any]:
        return (
            db.session.execute(
                select(model)
                .where(model.cycle_id == cycle.id, model.year == year, model.unit_id.in_(units))
                .order_by(model.id)
            )
            .scalars()
            .all()
        )

    for score_row in rows(ItemScore):
        entries = found[score_row.unit_id]
        target = entries.self_scores if score_row.source == "self" else entries.on_site
        target[score_row.item_id] = score_row
    for note in rows(MethodNote):
        found[note.unit_id].notes.setdefault(note.item_id, []).append(note)
    for value in rows(DataValue):
        found[value.unit_id].data[value.item_id] = value
    for event in rows(ScoreEvent):
        found[event.unit_id].events.append(event)
    return found


@dataclass(frozen=True)
class UnitResult:
    """A unit's year: its entries and figures, and (when complete) its score, change and rank."""

    unit: Unit
    year: int
    framework: Framework
    entries: Entries
    figures: dict[str, SurveyFigure]
    missing: tuple[str, ...]
    withheld: tuple[str, ...]
    composite: CompositeScore | None
    innovation: Innovation | None
    reliable: bool
    sheet: UnitYear | None
    change: Change | None = None
    rank: Rank | None = None

    @property
    def scored(self) -> bool:
        return self.composite is not None


def seed_of(cycle: Cycle, year: int) -> int:
    """The simulation's seed: fixed by cycle and year, so every face shows the same draws."""
    return zlib.crc32(f"{cycle.code}/{year}".encode())


def _campaign_of(cycle: Cycle, year: int) -> CycleCampaign | None:
    return db.session.get(CycleCampaign, (cycle.id, year))


def _unit_result(
    cycle: Cycle,
    unit: Unit,
    year: int,
    framework: Framework,
    entries: Entries,
    figures: dict[str, SurveyFigure],
) -> UnitResult:
    survey = {item: figure.estimate for item, figure in figures.items()}
    data = {item: row.value for item, row in entries.data.items()}
    assessed = entries.counted(framework)
    missing = missing_inputs(framework, survey=survey, assessed=assessed, data=data)
    withheld = tuple(item for item, estimate in survey.items() if estimate.is_suppressed)
    events = [Event(e.item_id, e.level) for e in entries.events]
    innovation = innovation_points(framework, events)
    reliable = all(estimate.reliable for estimate in survey.values())
    composite = sheet = None
    if not missing and not withheld:
        sheet = unit_year(
            framework, unit.code, survey=survey, assessed=assessed, data=data, events=events
        )
        composite = score(sheet, rng=seed_of(cycle, year), grades=framework.grade_thresholds)
    return UnitResult(
        unit,
        year,
        framework,
        entries,
        figures,
        missing,
        withheld,
        composite,
        innovation,
        reliable,
        sheet,
    )


def _scored_year(cycle: Cycle, year: int, units: Sequence[Unit]) -> list[UnitResult]:
    frameworks = {unit.id: framework_for_unit(cycle, unit.id) for unit in units}
    link = _campaign_of(cycle, year)
    figures = (
        survey_figures(link.campaign, year, frameworks, frameworks) if link is not None else {}
    )
    entries = entries_for(cycle, year, frameworks)
    results = []
    for unit in units:
        framework = frameworks[unit.id]
        mine = {
            item.id: figures[(unit.id, item.survey)]
            for item in framework.items
            if item.survey is not None and (unit.id, item.survey) in figures
        }
        results.append(_unit_result(cycle, unit, year, framework, entries[unit.id], mine))
    return results


def cycle_year(cycle: Cycle, year: int) -> list[UnitResult]:
    """Every unit of the cycle in ``year``: scored, changed from last year, ranked.

    Units are listed best first (by rank), then the unranked ones by code.
    """
    units = sorted((link.unit for link in cycle.units), key=lambda u: u.code)
    current = _scored_year(cycle, year, units)
    previous: dict[int, UnitResult] = {}
    if year - 1 in cycle.year_list:
        previous = {r.unit.id: r for r in _scored_year(cycle, year - 1, units)}
    rankable = [r for r in current if r.sheet is not None and r.reliable]
    ranked = {
        rank.unit: rank
        for rank in ranks([r.sheet for r in rankable if r.sheet], rng=seed_of(cycle, year))
    }
    done: list[UnitResult] = []
    for result in current:
        before = previous.get(result.unit.id)
        moved = None
        if result.sheet is not None and before is not None and before.sheet is not None:
            moved = change(result.sheet, before.sheet, rng=seed_of(cycle, year))
        done.append(replace(result, change=moved, rank=ranked.get(result.unit.code)))
    return sorted(done, key=lambda r: (r.rank is None, r.rank.rank if r.rank else 0, r.unit.code))


def unit_years(cycle: Cycle, unit_id: int) -> list[UnitResult]:
    """A unit's result in every year of the cycle (ranked among all units)."""
    found: list[UnitResult] = []
    for year in cycle.year_list:
        found.extend(r for r in cycle_year(cycle, year) if r.unit.id == unit_id)
    return found
