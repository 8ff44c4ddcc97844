"""A small framework and a two-unit, two-year cycle on it, for the scorecard tests.

The framework is the "mini" one of tests/test_frameworks.py written to a folder
of its own, so every figure of the scorecard can be worked out by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from factories import gen_campaign, gen_response, gen_unit
from flask import Flask

from survey.extensions import db
from survey.models import Cycle, Unit
from survey.scorecard.cycles import CycleSpec, open_cycle
from survey.scorecard.store import current_library, framework_version, register_versions

MINI = (Path(__file__).resolve().parent / "test_frameworks.py").read_text(encoding="utf-8")
MINI = MINI.split('MINI = """\\\n', 1)[1].split('"""', 1)[0]


def use_mini_framework(app: Flask, folder: Path) -> None:
    (folder / "units").mkdir(parents=True, exist_ok=True)
    (folder / "mini.toml").write_text(MINI, encoding="utf-8")
    app.config["FRAMEWORKS_DIR"] = str(folder)


def answer(campaign, unit: Unit, year: int, levels: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """Service users' cards at the unit in ``year``: {level: how many}."""
    for level, count in levels.items():
        for i in range(count):
            gen_response(
                campaign,
                unit=unit,
                answers={"overall": level},
                submitted_at=dt.datetime(year, 3, 1 + i % 28, 2, 0),
            )


def mini_cycle(app: Flask, folder: Path) -> tuple[Cycle, Unit, Unit]:
    """Units a and b, 2024-2025, fed by one campaign of service users' cards."""
    use_mini_framework(app, folder)
    a, b = gen_unit("a", "甲单位"), gen_unit("b", "乙单位")
    campaign = gen_campaign(
        [a, b],
        groups={"service_user": {}},
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    db.session.flush()
    register_versions()
    row = framework_version(current_library().frameworks["mini"].version)
    assert row is not None
    spec = CycleSpec(
        "mini",
        "Mini 2024-2025",
        row,
        2024,
        [a, b],
        years=2,
        campaigns={2024: campaign, 2025: campaign},
    )
    cycle = open_cycle(spec)
    # a: 62.5 in both years (20 satisfied, 20 basically satisfied); b: 87.5 in 2025.
    answer(campaign, a, 2024, {"satisfied": 20, "basically_satisfied": 20})
    answer(campaign, a, 2025, {"satisfied": 20, "basically_satisfied": 20})
    answer(campaign, b, 2025, {"very_satisfied": 20, "satisfied": 20})
    db.session.commit()
    return cycle, a, b
