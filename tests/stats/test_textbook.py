"""A published textbook example of a stratified mean (Lohr 2010, Example 3.2)."""

from __future__ import annotations

import json
from pathlib import Path

from survey.stats import Stratum, stratified_mean

REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def test_lohr_example_3_2_agstrat() -> None:
    data = json.loads((REFERENCE / "lohr_example_3_2.json").read_text())
    strata = {
        h: Stratum(s["n"], s["mean"], s["variance"], population=s["N"])
        for h, s in data["strata"].items()
    }
    est = stratified_mean(strata, df="design", interval="t", scale=None, variance="design")
    population = sum(s["N"] for s in data["strata"].values())
    published = data["published"]
    assert round(est.estimate) == published["mean"]
    assert round(est.se) == published["se_mean"]
    # Inputs are printed to 2 decimals, so the total can only agree to a few acres.
    assert abs(est.estimate * population - published["total"]) < 5
    assert round(est.se * population) == published["se_total"]
    assert est.df == 300 - 4
