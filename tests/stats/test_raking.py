"""Raking and post-stratification: against R's survey::rake and a hand-solved table."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from survey.stats import RakingError, kish_n_effective, poststratify, rake

REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def _apistrat() -> list[dict[str, str]]:
    with open(REFERENCE / "apistrat.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_rake_matches_r_two_and_three_margins() -> None:
    ref = json.loads((REFERENCE / "raking.json").read_text())
    rows = _apistrat()
    base = [float(r["pw"]) for r in rows]
    cats = {
        "stype": [r["stype"] for r in rows],
        "sch_wide": [r["sch_wide"] for r in rows],
        "awards": [r["awards"] for r in rows],
    }
    margins = ref["margins"]
    two = rake(
        {k: cats[k] for k in ("stype", "sch_wide")},
        {k: margins[k] for k in ("stype", "sch_wide")},
        base_weights=base,
        tol=1e-14,
        max_iter=500,
    )
    np.testing.assert_allclose(two.weights, ref["rake_stype_schwide"], rtol=1e-9)
    api00 = np.array([float(r["api00"]) for r in rows])
    mean = float(np.dot(two.weights, api00) / two.weights.sum())
    assert mean == pytest.approx(ref["raked_mean_api00"]["estimate"], rel=1e-9)
    three = rake(cats, margins, base_weights=base, tol=1e-14, max_iter=500)
    np.testing.assert_allclose(three.weights, ref["rake_stype_schwide_awards"], rtol=1e-9)
    post = poststratify(cats["sch_wide"], margins["sch_wide"], base_weights=base)
    np.testing.assert_allclose(post.weights, ref["poststratify_schwide"], rtol=1e-12)


def test_rake_two_by_two_hand_solved() -> None:
    """IPF keeps the sample odds ratio and meets both margins: solve that directly.

    Sample cells (a,x)=20, (a,y)=30, (b,x)=10, (b,y)=40; margins a:60 b:40, x:50 y:50.
    x11 (x22) = OR (60 - x11)(50 - x11) with x22 = x11 - 10 and OR = 8/3, i.e.
    (1 - OR) x11^2 + (-10 + 110 OR) x11 - 3000 OR = 0.
    """
    cells = [("a", "x")] * 20 + [("a", "y")] * 30 + [("b", "x")] * 10 + [("b", "y")] * 40
    result = rake(
        {"row": [c[0] for c in cells], "col": [c[1] for c in cells]},
        {"row": {"a": 60, "b": 40}, "col": {"x": 50, "y": 50}},
        tol=1e-13,
    )
    odds = 8 / 3
    a, b, c = 1 - odds, -10 + 110 * odds, -3000 * odds
    roots = [(-b + sign * math.sqrt(b * b - 4 * a * c)) / (2 * a) for sign in (1, -1)]
    (x11,) = [r for r in roots if 10 < r < 50]  # every cell positive
    expected = {
        ("a", "x"): x11,
        ("a", "y"): 60 - x11,
        ("b", "x"): 50 - x11,
        ("b", "y"): x11 - 10,
    }
    counts = {("a", "x"): 20, ("a", "y"): 30, ("b", "x"): 10, ("b", "y"): 40}
    for i, cell in enumerate(cells):
        assert result.weights[i] == pytest.approx(expected[cell] / counts[cell], rel=1e-10)
    w = result.weights
    assert result.kish_n_effective == pytest.approx(w.sum() ** 2 / np.dot(w, w))
    assert result.design_effect == pytest.approx(len(w) / result.kish_n_effective)
    assert result.design_effect > 1


def test_poststratify_scales_each_cell_to_its_count() -> None:
    result = poststratify(["u", "u", "v"], {"u": 10, "v": 5})
    np.testing.assert_allclose(result.weights, [5, 5, 5])
    assert result.kish_n_effective == pytest.approx(3)
    assert result.design_effect == pytest.approx(1)


def test_kish_n_effective_equal_weights_is_n() -> None:
    assert kish_n_effective([2.0] * 7) == pytest.approx(7)
    with pytest.raises(ValueError, match="all zero"):
        kish_n_effective([0.0, 0.0])


@pytest.mark.parametrize(
    ("categories", "margins", "message"),
    [
        ({"a": ["x", "y"]}, {"a": {"x": 1, "y": 1}, "b": {"u": 2}}, "must match"),
        ({"a": ["x", "y"], "b": ["u", "u"]}, {"a": {"x": 1, "y": 1}, "b": {"u": 3}}, "totals"),
        ({"a": ["x", "z"]}, {"a": {"x": 1, "y": 1}}, "a='z', which has no population margin"),
        ({"a": ["x", "x"]}, {"a": {"x": 1, "y": 1}}, "a='y' has no respondents"),
        ({"a": ["x"], "b": ["u", "v"]}, {"a": {"x": 2}, "b": {"u": 1, "v": 1}}, "lengths"),
        ({"a": ["x"]}, {"a": {"x": -1}}, "finite and >= 0"),
        ({}, {}, "at least one variable"),
    ],
)
def test_rake_errors_say_what_is_wrong(categories, margins, message) -> None:
    with pytest.raises(RakingError, match=message):
        rake(categories, margins)


def test_rake_reports_non_convergence() -> None:
    # Nobody is (x, v) or (y, u): margins x:1/y:9 with u:9/v:1 are unreachable.
    with pytest.raises(RakingError, match="did not converge in max_iter=50"):
        rake(
            {"a": ["x", "y"], "b": ["u", "v"]},
            {"a": {"x": 1, "y": 9}, "b": {"u": 9, "v": 1}},
            max_iter=50,
        )


def test_rake_bad_base_weights() -> None:
    with pytest.raises(RakingError, match="base_weights"):
        rake({"a": ["x", "x"]}, {"a": {"x": 2}}, base_weights=[1.0, 0.0])
    with pytest.raises(RakingError, match="shape"):
        rake({"a": ["x", "x"]}, {"a": {"x": 2}}, base_weights=[1.0])
