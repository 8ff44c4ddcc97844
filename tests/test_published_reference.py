"""The published figure of the results layer against R's survey package.

The cells here go through the same path as every page, export and API answer
(:func:`survey.results.estimates_from_summaries` with the published options),
so they check that the app publishes survey.stats' defaults and that those
agree with R where they claim to: the point estimate, R's design df n - H
(``degf``) and R's standard error whenever the groups' own variance is not
below Kish's floor. The intervals, which depart from R's on purpose (a logit
interval for the index, Wilson's on the effective sample size for the share),
are worked out here from R's standard error and df by their textbook formulas.

Data: California's Academic Performance Index, the stratified sample
``apistrat`` that ships with R's survey package (tests/reference/apistrat.csv),
groups E, M and H standing for respondent groups: ``meals`` (a percentage,
0-100) as the index, ``sch.wide`` and ``api00 > 700`` as the share. R's
numbers are those of tests/reference/apistrat.json (R 4.2.2, survey 4.1.1).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from scipy import stats as sps

from survey.results import GroupSetting, StratumSummary, estimates_from_summaries
from survey.results.options import PUBLISHED, EstimationOptions
from survey.results.summaries import CellKey

REFERENCE = Path(__file__).resolve().parent / "reference"
CASES = {c["name"]: c for c in json.loads((REFERENCE / "apistrat.json").read_text())["cases"]}
POPULATION = {"E": 4421, "M": 1018, "H": 755}
with open(REFERENCE / "apistrat.csv", newline="") as fh:
    ROWS = list(csv.DictReader(fh))


def summaries(share_of) -> list[StratumSummary]:
    """Per group: n, sum and sum of squares of meals, and how many count for the share."""
    cell = CellKey(indicator="satisfaction.overall", unit_code="api")
    out = []
    for group in ("E", "M", "H"):
        rows = [r for r in ROWS if r["stype"] == group]
        meals = [float(r["meals"]) for r in rows]
        out.append(
            StratumSummary(
                cell=cell,
                group=group,
                n=len(rows),
                total=sum(meals),
                sum_of_squares=sum(m * m for m in meals),
                satisfied=sum(share_of(r) for r in rows),
            )
        )
    return out


def settings(weights: dict[str, float] | None, fpc: bool) -> dict[str, GroupSetting]:
    return {
        h: GroupSetting(h, i, "x", None if weights is None else weights[h],
                        POPULATION[h] if fpc else None)
        for i, h in enumerate(("E", "M", "H"))
    }


def kish_variance(weights: dict[str, float], estimate: float, value, fpc: bool) -> float:
    """Kish's floor: R's svyvar (unit weights W_h/n_h) times sum W_h^2 (1 - f_h) / n_h."""
    total = sum(weights.values())
    n = {h: sum(r["stype"] == h for r in ROWS) for h in weights}
    svyvar = sum(
        weights[r["stype"]] / total / n[r["stype"]] * (value(r) - estimate) ** 2 for r in ROWS
    ) * len(ROWS) / (len(ROWS) - 1)
    return svyvar * sum(
        (w / total) ** 2 * (1 - n[h] / POPULATION[h] if fpc else 1) / n[h]
        for h, w in weights.items()
    )


def wilson(p: float, se: float, df: float) -> tuple[float, float]:
    """Wilson's score interval on the effective sample size n* = p(1 - p)/se^2, t for z."""
    n_star = p * (1 - p) / se**2
    t = float(sps.t.ppf(0.975, df))
    t2n = t * t / n_star
    centre = (p + t2n / 2) / (1 + t2n)
    half = t / (1 + t2n) * math.sqrt(p * (1 - p) / n_star + t2n / (4 * n_star))
    return centre - half, centre + half


def logit(index: float, se: float, df: float) -> tuple[float, float]:
    """logit(u) +/- t se_u / (u (1 - u)), u = index / 100, back-transformed."""
    u, se_u = index / 100, se / 100
    centre, half = math.log(u / (1 - u)), float(sps.t.ppf(0.975, df)) * se_u / (u * (1 - u))
    return tuple(100 / (1 + math.exp(-(centre + k * half))) for k in (-1, 1))


def test_the_published_options_are_survey_stats_defaults():
    assert (PUBLISHED.df, PUBLISHED.lonely, PUBLISHED.method) == ("design", "collapse", "wilson")
    assert EstimationOptions().df == "design" and EstimationOptions().lonely == "collapse"


def meals(r) -> float:
    return float(r["meals"])


def sch_wide(r) -> int:
    return int(r["sch_wide"])


def above_700(r) -> int:
    return int(float(r["api00"]) > 700)


def test_the_index_agrees_with_r_but_for_kish_floor():
    case = CASES["meals policy weights no fpc"]
    weights = {"E": 1, "M": 2, "H": 1}
    (row,) = estimates_from_summaries(summaries(sch_wide), settings(weights, fpc=False), k=5)
    e = row.index
    assert e.estimate == pytest.approx(case["estimate"], rel=1e-12)
    assert e.df == case["df"] == 197
    # meals differ much between E, M and H, so Kish's floor (the spread of the whole
    # sample about the estimate) is above R's stratified variance and is published.
    kish = kish_variance(weights, case["estimate"], meals, fpc=False)
    assert kish > case["se"] ** 2
    assert e.kish_floor
    assert e.se == pytest.approx(math.sqrt(kish), rel=1e-9)
    assert (e.low, e.high) == pytest.approx(logit(case["estimate"], math.sqrt(kish), 197),
                                            rel=1e-9)
    assert e.reliable and e.reasons == () and e.collapsed == ()


@pytest.mark.parametrize(
    ("name", "weights", "value", "fpc"),
    [
        ("sch_wide policy weights no fpc beta", {"E": 0.5, "M": 0.3, "H": 0.2}, sch_wide, False),
        ("api00>700 population shares beta", None, above_700, True),
    ],
)
def test_the_share_agrees_with_r(name, weights, value, fpc):
    case = CASES[name]
    (row,) = estimates_from_summaries(
        summaries(value), settings(weights, fpc=fpc), k=5,
        weighting="policy" if weights else "population",
    )
    e = row.share_satisfied
    assert e.estimate == pytest.approx(case["estimate"], rel=1e-12)
    assert e.df == case["df"] == 197
    used = weights or POPULATION
    kish = kish_variance(used, case["estimate"], value, fpc=fpc)
    variance = max(case["se"] ** 2, kish)
    assert e.kish_floor == (kish > case["se"] ** 2)
    assert e.se == pytest.approx(math.sqrt(variance), rel=1e-9)
    low, high = wilson(case["estimate"], math.sqrt(variance), 197)
    assert (e.low, e.high) == pytest.approx((low, high), rel=1e-9)
    # R's Korn-Graubard interval, which the NCHS standard reads, is narrow (< 16 points).
    assert case["high"] - case["low"] < 0.16
    assert e.reliable
