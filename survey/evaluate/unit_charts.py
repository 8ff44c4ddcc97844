"""One unit's scorecard charts, shared by the evaluator's scorecard page and the liaison's own.

The total and each category over the cycle's years, and each survey-fed item
period by period (month, quarter or year), drawn with the results pages' SVG
charts. Every chart has a title and its figures in a table beside it; a
withheld survey figure is not drawn (the line breaks there).
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_babel import gettext
from markupsafe import Markup

from ..labels import indicator_label, localised, scorecard_label
from ..models import Cycle
from ..scorecard.framework import Category, Framework
from ..scorecard.scoring import UnitResult
from ..scorecard.survey_series import PERIOD_KEYS, FeedSeries, PeriodKey, feed_series
from .charts import Bar, Point, bar_chart, line_chart


def category_percent(result: UnitResult, category: Category) -> float | None:
    """The unit's points in ``category`` as a percent of its points; None when not scored."""
    if result.composite is None:
        return None
    got = sum(result.composite.items[i.id].points for i in category.items)
    return 100.0 * got / (category.points or 1.0)


def categories_chart(result: UnitResult) -> Markup:
    """A unit's points per category as a share of the category's points (0-100%)."""
    bars = [
        Bar(localised(category.title), category_percent(result, category))
        for category in result.framework.scored_categories
    ]
    return bar_chart(
        bars,
        title=gettext("Points per category, in percent of its points"),
        suppressed_text=gettext("not scored yet"),
    )


def years_chart(results: list[UnitResult], framework: Framework) -> Markup:
    """The unit's total by year with its interval; a year whose change excludes zero is marked."""
    points = []
    for r in results:
        total = None if r.composite is None else r.composite.total
        marked = r.change is not None and not (r.change.total.low <= 0 <= r.change.total.high)
        points.append(
            Point(
                str(r.year),
                None if total is None else total.points,
                None if total is None else total.low,
                None if total is None else total.high,
                marked,
            )
        )
    return line_chart(points, title=gettext("Total by year"), domain=(0.0, framework.total))


def category_years_charts(results: list[UnitResult]) -> list[tuple[Category, Markup]]:
    """Per category, the unit's points in percent of the category's points, year by year."""
    framework = results[-1].framework
    return [
        (
            category,
            line_chart(
                [Point(str(r.year), category_percent(r, category)) for r in results],
                title=gettext(
                    "%(category)s by year, in percent of its points",
                    category=localised(category.title),
                ),
            ),
        )
        for category in framework.scored_categories
    ]


def chosen_period_key() -> PeriodKey:
    """``?by=`` month, quarter or year (else 400); by month when not given."""
    raw = request.args.get("by") or "month"
    if raw not in PERIOD_KEYS:
        abort(400)
    return raw


def _feed_point(label: str, series: FeedSeries, row: Any) -> Point:
    """A period's figure on 0-100 (a share in percent); None when withheld."""
    e = row.index if series.feed.measure == "index" else row.share_satisfied
    if e.estimate is None:
        return Point(label, None)
    scale = 1.0 if series.feed.measure == "index" else 100.0
    return Point(label, e.estimate * scale, e.low * scale, e.high * scale)


def feed_title(series: FeedSeries) -> str:
    """The chart's and its table's title: "Overall satisfaction · Service users"."""
    return (
        f"{indicator_label(series.feed.indicator)} · "
        f"{scorecard_label('dimension', series.feed.dimension)}"
    )


def feed_charts(
    cycle: Cycle, unit_id: int, framework: Framework, by: PeriodKey
) -> list[tuple[FeedSeries, Markup]]:
    """Each survey feed of the unit, its published figure per period, as a line chart."""
    return [
        (
            series,
            line_chart(
                [_feed_point(period, series, row) for period, row in series.periods],
                title=feed_title(series),
            ),
        )
        for series in feed_series(cycle, unit_id, framework, by)
    ]


def unit_charts(cycle: Cycle, unit_id: int, every_year: list[UnitResult]) -> dict[str, Any]:
    """Everything the unit charts partial (evaluate/_unit_charts.html) draws."""
    framework = every_year[-1].framework
    by = chosen_period_key()
    return dict(
        every_year=every_year,
        years_chart=years_chart(every_year, framework),
        category_years=category_years_charts(every_year),
        category_percent=category_percent,
        by=by,
        period_keys=PERIOD_KEYS,
        feeds=feed_charts(cycle, unit_id, framework, by),
        feed_title=feed_title,
    )
