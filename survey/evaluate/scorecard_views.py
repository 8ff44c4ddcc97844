"""The scorecard pages: cycles, every unit of a cycle's year, and one unit's scorecard.

Views are thin: the figures come from survey.scorecard.scoring; this module
picks the year from the query string and draws the charts the results pages draw.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from markupsafe import Markup

from ..extensions import db
from ..labels import localised
from ..models import Cycle, CycleUnit, Unit
from ..scorecard.cycles import cycles_newest_first
from ..scorecard.framework import Category, Framework
from ..scorecard.opinions import opinions_of_year
from ..scorecard.score_table import scores_csv, scores_xlsx
from ..scorecard.scoring import UnitResult, cycle_year, unit_years
from ..web.guards import role_required
from ..web.navigation import whole_number
from . import bp
from .charts import Bar, bar_chart
from .export_views import XLSX_TYPE, _download
from .opinion_views import LABELS as OPINION_LABELS
from .unit_charts import categories_chart, category_percent, unit_charts


def chosen_year(cycle: Cycle) -> int:
    """``?year=`` if it is a year of the cycle (else 400), by default its latest year."""
    raw = request.args.get("year")
    if raw is None or raw == "":
        return cycle.year_list[-1]
    year = whole_number(raw)
    if year is None or year not in cycle.year_list:
        abort(400)
    return year


def _unranked_label(result: UnitResult) -> str:
    """The unit's name, with a dagger when it is scored but not ranked (as the page says)."""
    return result.unit.name + (" †" if _unranked(result) else "")


def _unranked(result: UnitResult) -> bool:
    """Scored but not ranked: a survey figure fails the reliability standard."""
    return result.composite is not None and result.rank is None


def totals_chart(results: list[UnitResult], framework: Framework) -> Markup:
    """Each unit's total with its interval, on the framework's points.

    An unranked unit's bar is drawn pale and its name carries a dagger, the
    way the results pages mark a figure that fails the reliability standard.
    """
    bars = [
        Bar(
            _unranked_label(r),
            None if r.composite is None else r.composite.total.points,
            None if r.composite is None else r.composite.total.low,
            None if r.composite is None else r.composite.total.high,
            unreliable=_unranked(r),
        )
        for r in results
    ]
    return bar_chart(
        bars,
        title=gettext("Totals with their intervals (95%)"),
        domain=(0.0, framework.total),
        suppressed_text=gettext("not scored yet"),
    )


def units_by_category_charts(
    results: list[UnitResult], framework: Framework
) -> list[tuple[Category, Markup]]:
    """One bar chart per category: every unit's points in it, in percent of its points."""
    charts = []
    for category in framework.scored_categories:
        bars = [
            Bar(_unranked_label(r), category_percent(r, category), unreliable=_unranked(r))
            for r in results
        ]
        charts.append(
            (
                category,
                bar_chart(
                    bars,
                    title=gettext(
                        "%(category)s: points in percent of its points",
                        category=localised(category.title),
                    ),
                    suppressed_text=gettext("not scored yet"),
                ),
            )
        )
    return charts


@bp.route("/cycles")
@role_required("evaluator", "admin")
def cycles() -> ResponseReturnValue:
    return render_template("evaluate/cycles.html", cycles=cycles_newest_first())


@bp.route("/cycle/<int:cycle_id>")
@role_required("evaluator", "admin")
def cycle_page(cycle_id: int) -> ResponseReturnValue:
    cycle = db.get_or_404(Cycle, cycle_id)
    year = chosen_year(cycle)
    results = cycle_year(cycle, year)
    framework = results[0].framework if results else None
    return render_template(
        "evaluate/cycle.html",
        cycle=cycle,
        year=year,
        results=results,
        opinions=opinions_of_year(cycle, year),
        states=OPINION_LABELS,
        chart=totals_chart(results, framework) if framework else None,
        category_charts=units_by_category_charts(results, framework) if framework else [],
        category_percent=category_percent,
    )


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>")
@role_required("evaluator", "admin")
def cycle_unit_page(cycle_id: int, unit_id: int) -> ResponseReturnValue:
    cycle = db.get_or_404(Cycle, cycle_id)
    db.get_or_404(CycleUnit, (cycle_id, unit_id))
    unit = db.get_or_404(Unit, unit_id)
    year = chosen_year(cycle)
    every_year = unit_years(cycle, unit_id)
    result = next(r for r in every_year if r.year == year)
    return render_template(
        "evaluate/cycle_unit.html",
        cycle=cycle,
        unit=unit,
        year=year,
        result=result,
        every_year=every_year,
        categories_chart=categories_chart(result),
        charts=unit_charts(cycle, unit_id, every_year),
    )


def _scores_file(cycle_id: int, kind: str) -> ResponseReturnValue:
    """Every unit's scores of a year, for the annual performance assessment."""
    cycle = db.get_or_404(Cycle, cycle_id)
    year = chosen_year(cycle)
    if kind == "csv":
        body, content_type = scores_csv(cycle, year), "text/csv; charset=utf-8"
    else:
        body, content_type = scores_xlsx(cycle, year), XLSX_TYPE
    return _download(body, content_type, f"scores-{cycle.code}-{year}.{kind}")


@bp.route("/cycle/<int:cycle_id>/scores.csv")
@role_required("evaluator", "admin")
def cycle_scores_csv(cycle_id: int) -> ResponseReturnValue:
    return _scores_file(cycle_id, "csv")


@bp.route("/cycle/<int:cycle_id>/scores.xlsx")
@role_required("evaluator", "admin")
def cycle_scores_xlsx(cycle_id: int) -> ResponseReturnValue:
    return _scores_file(cycle_id, "xlsx")
