"""Per-respondent indicator scores, computed once when a response is submitted.

An indicator's score for one respondent is the weighted mean of the scores of
the items that feed it and that they answered; "don't know" and skipped items
are left out and the weights renormalised over the rest. A respondent with no
scored item on an indicator has no score on it (not a zero).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..instruments import Instrument
from ..models import Response, ResponseScore


def indicator_scores(
    instrument: Instrument, item_scores: Mapping[str, float | None]
) -> dict[str, float]:
    """Indicator -> score for one respondent, from question id -> item score."""
    totals: dict[str, float] = {}
    weights: dict[str, float] = {}
    for question in instrument.questions:
        if not question.indicator:
            continue
        score = item_scores.get(question.id)
        if score is None:
            continue
        totals[question.indicator] = totals.get(question.indicator, 0.0) + question.weight * score
        weights[question.indicator] = weights.get(question.indicator, 0.0) + question.weight
    return {name: totals[name] / weights[name] for name in totals if weights[name] > 0}


def store_scores(response: Response, instrument: Instrument) -> None:
    """Replace the response's indicator scores with those of its current answers."""
    item_scores = {answer.question_id: answer.score for answer in response.answers}
    response.scores.clear()
    for indicator, score in sorted(indicator_scores(instrument, item_scores).items()):
        response.scores.append(
            ResponseScore(
                indicator=indicator, score=score, satisfied=score >= instrument.satisfied_at
            )
        )
