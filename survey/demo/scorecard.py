"""The demo's evaluation scorecard: a three-year cycle on the shipped framework, and opinions.

So that every scorecard screen has something on first run: the cycle covers
the demo campaign's three years and its three units (the government service
centre with its approved individual items), with self-assessments, on-site
scores and notes, data values, bonus and deduction events for every year;
last year's opinion of one unit is issued with fixes in every state (closed
after its look-back, reported and waiting, overdue, open), and this year's
opinion of another is a draft. Everything is placed relative to the demo's
clock (``now``), as the campaign is, and drawn from a seeded generator, so
the same clock gives the same cycle; a second load changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, Cycle, CycleDeadline, Opinion, RequiredFix, Unit, User, utcnow
from ..scorecard.cycles import (
    CycleSpec,
    approve_unit_set,
    cycle_by_code,
    framework_for_unit,
    open_cycle,
)
from ..scorecard.entries import record_data, record_event, record_method_note, record_score
from ..scorecard.framework import Framework, Item
from ..scorecard.opinion_content import compose
from ..scorecard.store import current_library, framework_of, framework_version, register_versions
from .data import BEIJING, DEMO_CAMPAIGN, SEED

__all__ = ["DEMO_CYCLE", "load_demo_scorecard"]

DEMO_CYCLE = "demo"
FRAMEWORK = "provincial-institutions"
# How well each unit does, first year -> last year (share of an item's points).
QUALITY = {"zwfw": (0.9, 0.94), "rmyy": (0.8, 0.76), "nky": (0.72, 0.88)}
# The unit whose last-year opinion is issued (its liaison is the demo's), and the drafted one.
ISSUED_UNIT, DRAFT_UNIT = "rmyy", "nky"
EVENTS: dict[str, tuple[tuple[int, str, str | None, str], ...]] = {
    # unit: (year index, item, level, reason)
    "zwfw": (
        (1, "bonus.reform", "provincial", "“一件事一次办”改革经验获全省推广"),
        (2, "bonus.pilot", None, "承担全省政务服务“免证办”试点"),
    ),
    "rmyy": (
        (1, "deduction.public_opinion", None, "候诊时间过长引发负面舆情，经核实属实"),
        (2, "deduction.rectification", None, "上年评估指出的预约挂号问题整改不到位"),
    ),
    "nky": ((2, "bonus.honours", "provincial", "科技成果转化项目获省科技进步奖"),),
}
NOTES = {
    "document_review": "查阅会议纪要、制度文件和台账，资料基本齐全。",
    "on_site_check": "实地查看服务窗口和办公场所，运行正常。",
    "interview": "个别访谈干部职工8人，反映情况与自评基本一致。",
    "symposium": "召开服务对象座谈会1次，意见已记录。",
}
PROBLEMS = (
    "一、预约挂号时段设置不合理，上午号源紧张，群众候诊时间偏长。\n"
    "二、岗位设置方案未按规定报批，部分专业技术岗位超结构比例。\n"
    "三、干部人事档案专项审核发现的问题尚未全部整改。"
)
SUGGESTIONS = "优化号源分配和分时段预约；严格执行岗位设置管理规定；建立整改台账，逐项销号。"
FIXES = (
    # text, days from now to the deadline, days since the report (None: none), outcome
    ("完成干部人事档案专项审核问题整改", -40, 50, "rectified"),
    ("调整预约挂号时段，公布分时段号源", 20, 5, None),
    ("按规定报批岗位设置方案", -10, None, None),
    ("建立整改台账，每季度报送进展", 60, None, None),
)


def load_demo_scorecard(now: dt.datetime | None = None) -> Cycle | None:
    """Open the demo cycle and fill it (once; None when it exists or there is no demo)."""
    if cycle_by_code(DEMO_CYCLE) is not None:
        return None
    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one_or_none()
    library = current_library()
    if campaign is None or FRAMEWORK not in library.frameworks:
        return None
    now = now or utcnow()
    register_versions(library)
    row = framework_version(library.frameworks[FRAMEWORK].version)
    assert row is not None
    years = list(range(campaign.period_start.year, campaign.period_end.year + 1))
    units = sorted(campaign.units, key=lambda u: u.code)
    cycle = open_cycle(
        CycleSpec(
            DEMO_CYCLE,
            f"{years[0]}—{years[-1]}年度省直事业单位综合评估（演示）",
            row,
            years[0],
            units,
            years=len(years),
            campaigns={year: campaign for year in years},
        )
    )
    evaluator = _account("evaluator")
    _approve_unit_sets(cycle, units, evaluator)
    rng = random.Random(SEED + 3)
    for unit in units:
        framework = framework_for_unit(cycle, unit.id)
        for index, year in enumerate(years):
            _year(cycle, unit, year, index, framework, rng, evaluator)
    # The deadlines come last: past years' self-assessments closed long before the demo.
    for (year, step), due in _deadlines(years).items():
        db.session.add(CycleDeadline(cycle_id=cycle.id, year=year, step=step, due=due))
    db.session.flush()
    by_code = {u.code: u for u in units}
    _issued_opinion(cycle, by_code[ISSUED_UNIT], years[-2], now, evaluator)
    _draft_opinion(cycle, by_code[DRAFT_UNIT], years[-1], now, evaluator)
    return cycle


def _deadlines(years: list[int]) -> dict[tuple[int, str], dt.date]:
    """Each year's steps in the following spring and summer."""
    steps = {"self_assessment": (1, 31), "on_site": (3, 31), "opinion": (4, 30)}
    found = {
        (year, step): dt.date(year + 1, month, day)
        for year in years
        for step, (month, day) in steps.items()
    }
    found.update({(year, "rectification"): dt.date(year + 1, 9, 30) for year in years})
    return found


def _account(username: str) -> User | None:
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def _approve_unit_sets(cycle: Cycle, units: list[Unit], evaluator: User | None) -> None:
    """The unit sets written for the cycle's framework version, approved for their units."""
    if evaluator is None:
        return
    framework = framework_of(cycle.framework_version)
    for unit_set in current_library().unit_sets.values():
        if unit_set.extends_version != framework.version:
            continue
        stored = framework_version(unit_set.version)
        for unit in units:
            if stored is not None and unit.code in unit_set.units:
                approve_unit_set(cycle, unit, stored, evaluator)


def _share(unit: Unit, index: int, years: int, rng: random.Random) -> float:
    first, last = QUALITY.get(unit.code, (0.8, 0.8))
    centre = first + (last - first) * index / max(years - 1, 1)
    return min(max(rng.gauss(centre, 0.06), 0.3), 1.0)


def _half_points(value: float, most: float) -> float:
    return min(max(round(value * 2) / 2, 0.0), most)


def _year(
    cycle: Cycle,
    unit: Unit,
    year: int,
    index: int,
    framework: Framework,
    rng: random.Random,
    evaluator: User | None,
) -> None:
    """Every figure a unit's year needs, as the liaison and the evaluators would enter them."""
    liaison = _account("liaison")
    for item in framework.items:
        if item.source in ("self-assessment", "on-site"):
            share = _share(unit, index, cycle.years, rng)
            own = _half_points(item.points * min(share + 0.05, 1.0), item.points)
            record_score(
                cycle,
                unit,
                year,
                item.id,
                source="self",
                score=own,
                user=liaison,
                note="按评分标准逐项自查。",
            )
            if item.source == "on-site" or rng.random() < 0.5:
                checked = _half_points(item.points * share, item.points)
                record_score(
                    cycle, unit, year, item.id, source="on_site", score=checked, user=evaluator
                )
            if item.methods and rng.random() < 0.3:
                method = item.methods[0]
                record_method_note(
                    cycle,
                    unit,
                    year,
                    item.id,
                    method=method,
                    note=NOTES.get(method, "已核查。"),
                    user=evaluator,
                )
        elif item.source == "data":
            _data(cycle, unit, year, item, _share(unit, index, cycle.years, rng), evaluator)
    for when, item_id, level, reason in EVENTS.get(unit.code, ()):
        if when == index:
            record_event(cycle, unit, year, item_id, reason=reason, level=level, user=evaluator)


def _data(cycle: Cycle, unit: Unit, year: int, item: Item, share: float, user: User | None) -> None:
    """A plausible value for a data item: a ratio near the unit's quality, a small count."""
    measure = item.data
    assert measure is not None
    if measure.is_ratio:
        denominator = 200.0
        rate = min(0.75 + 0.25 * share, 1.0)
        record_data(
            cycle,
            unit,
            year,
            item.id,
            numerator=round(denominator * rate),
            denominator=denominator,
            user=user,
        )
        return
    if measure.unit == "count":
        value = 0.0 if share > 0.8 else 1.0
    else:
        value = round(measure.min + ((measure.max or 100.0) - measure.min) * share)
    record_data(cycle, unit, year, item.id, value=value, user=user)


def _issued_opinion(
    cycle: Cycle, unit: Unit, year: int, now: dt.datetime, evaluator: User | None
) -> None:
    """Last year's opinion of ``unit``: issued three months ago, its fixes in every state."""
    issued = now - dt.timedelta(days=90)
    who = None if evaluator is None else evaluator.id
    opinion = Opinion(
        cycle_id=cycle.id,
        unit_id=unit.id,
        year=year,
        state="issued",
        problems=PROBLEMS,
        suggestions=SUGGESTIONS,
        drafted_by_id=who,
        drafted_at=issued - dt.timedelta(days=20),
        reviewed_at=issued - dt.timedelta(days=14),
        approved_at=issued - dt.timedelta(days=7),
        issued_by_id=who,
        issued_at=issued,
    )
    db.session.add(opinion)
    db.session.flush()
    today = (now + BEIJING).date()
    liaison = _account("liaison")
    for position, (text, due_in, reported_ago, outcome) in enumerate(FIXES, start=1):
        fix = RequiredFix(
            opinion_id=opinion.id,
            position=position,
            text=text,
            due=today + dt.timedelta(days=due_in),
        )
        if reported_ago is not None:
            fix.report = f"已完成：{text}。相关材料已归档备查。"
            fix.reported_at = now - dt.timedelta(days=reported_ago)
            fix.reported_by_id = None if liaison is None else liaison.id
        if outcome is not None:
            fix.outcome = outcome
            fix.look_back = "回头看：现场核实整改材料，问题已整改到位。"
            fix.looked_back_at = now - dt.timedelta(days=30)
            fix.looked_back_by_id = who
        db.session.add(fix)
    db.session.flush()
    db.session.refresh(opinion)
    opinion.content = json.dumps(compose(opinion, cycle, unit), ensure_ascii=False)


def _draft_opinion(
    cycle: Cycle, unit: Unit, year: int, now: dt.datetime, evaluator: User | None
) -> None:
    """This year's opinion of ``unit``, still a draft: something to review on the first run."""
    opinion = Opinion(
        cycle_id=cycle.id,
        unit_id=unit.id,
        year=year,
        state="draft",
        problems="科技成果转化收益分配制度尚未修订。",
        suggestions="尽快修订并报主管部门备案。",
        drafted_by_id=None if evaluator is None else evaluator.id,
        drafted_at=now - dt.timedelta(days=2),
    )
    db.session.add(opinion)
    db.session.flush()
    db.session.add(
        RequiredFix(
            opinion_id=opinion.id,
            position=1,
            text="修订科技成果转化收益分配制度",
            due=(now + BEIJING).date() + dt.timedelta(days=120),
        )
    )
