"""A unit's year on a framework: from what was recorded to the arithmetic of survey.stats.

The scorecard screens will gather, for a unit and a year, the survey estimates
of its survey items, the self-assessment or on-site score of each assessed item,
each data value, and the bonus and deduction events. This module checks them
against the framework (every item scored, every number allowed) and hands
:mod:`survey.stats.composite` a :class:`UnitYear`: fixed points for everything but
the survey items, which keep their estimate so their sampling error reaches the
total, the change, the rank and the grade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..stats.composite import SurveyTerm, UnitYear
from ..stats.estimate import Estimate
from .errors import ScoreError
from .framework import Framework, Item
from .points import Event, assessed_points, data_points, innovation_points, wrong_source

__all__ = ["missing_inputs", "on_survey_scale", "unit_year"]


def on_survey_scale(item: Item, estimate: Estimate) -> Estimate:
    """The estimate on the rule's 0-100 scale: a share satisfied (0-1) becomes percent."""
    if item.survey is None or item.survey.measure != "share_satisfied":
        return estimate

    def percent(x: float | None) -> float | None:
        return None if x is None else 100.0 * x

    return replace(
        estimate,
        estimate=percent(estimate.estimate),
        se=percent(estimate.se),
        low=percent(estimate.low),
        high=percent(estimate.high),
    )


def missing_inputs(
    framework: Framework,
    *,
    survey: Mapping[str, Estimate],
    assessed: Mapping[str, float],
    data: Mapping[str, float],
) -> tuple[str, ...]:
    """Items of the framework still without a figure, in file order (events are optional)."""
    given = {"survey": survey, "self-assessment": assessed, "on-site": assessed, "data": data}
    return tuple(
        item.id
        for item in framework.items
        if item.source != "event" and item.id not in given[item.source]
    )


def unit_year(
    framework: Framework,
    unit: str,
    *,
    survey: Mapping[str, Estimate],
    assessed: Mapping[str, float],
    data: Mapping[str, float],
    events: Iterable[Event] = (),
    correlation: Mapping[tuple[str, str], float] | None = None,
) -> UnitYear:
    """The unit's year, every input checked; ScoreError names the first wrong item.

    ``survey`` maps survey items to their estimates as survey.stats gives them
    (an index on 0-100, a share satisfied on 0-1); ``assessed`` maps
    self-assessment and on-site items to the score that counts; ``data`` maps data
    items to their values. Innovation events enter as one fixed number per
    innovation category (deductions negative), after the caps.
    """
    missing = missing_inputs(framework, survey=survey, assessed=assessed, data=data)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ScoreError(missing[0], f"has no figure yet{more}")
    _check_sources(framework, survey=survey, assessed=assessed, data=data)
    fixed: dict[str, float] = {}
    terms: dict[str, SurveyTerm] = {}
    for item in framework.items:
        if item.source == "survey":
            terms[item.id] = _survey_term(item, survey[item.id])
        elif item.source == "data":
            fixed[item.id] = data_points(item, data[item.id])
        elif item.source != "event":
            fixed[item.id] = assessed_points(item, assessed[item.id])
    innovation = innovation_points(framework, events)
    for category in framework.innovation_categories:
        sign = 1.0 if category.kind == "innovation-bonus" else -1.0
        fixed[category.id] = sign * innovation.by_category[category.id]
    return UnitYear(unit=unit, fixed=fixed, survey=terms, correlation=dict(correlation or {}))


def _check_sources(
    framework: Framework,
    *,
    survey: Mapping[str, Estimate],
    assessed: Mapping[str, float],
    data: Mapping[str, float],
) -> None:
    """Every figure given is for an item of the framework, of the source it was given as."""
    expected = (
        (survey, ("survey",)),
        (assessed, ("self-assessment", "on-site")),
        (data, ("data",)),
    )
    for given, sources in expected:
        for item_id in given:
            try:
                item = framework.item(item_id)
            except KeyError:
                raise ScoreError(item_id, f"is not an item of '{framework.id}'") from None
            if item.source not in sources:
                raise wrong_source(item, *sources)


def _survey_term(item: Item, estimate: Estimate) -> SurveyTerm:
    if estimate.is_suppressed:
        raise ScoreError(item.id, f"its survey estimate is withheld ({estimate.note})")
    assert item.rule is not None
    return SurveyTerm(estimate=on_survey_scale(item, estimate), rule=item.rule)
