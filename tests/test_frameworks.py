"""Framework files: the format, its refusals, the shipped files, versions, and item points.

Every refusal is checked by its whole message, because the message is the
interface: an author reads ``file:item: field 'x': problem`` and must know what
to fix. Points are checked against values worked out by hand from the rules.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from survey.scorecard import (
    Event,
    FrameworkError,
    ScoreError,
    assessed_points,
    check_directory,
    data_points,
    innovation_points,
    load_directory,
    load_framework,
    missing_inputs,
    parse_framework,
    parse_unit_set,
    ratio_value,
    survey_points,
    unit_year,
)
from survey.stats.composite import score
from survey.stats.estimate import Estimate

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT / "frameworks"

MINI = """\
id = "mini"
languages = ["zh_Hans", "en"]
total = 10
title = { zh_Hans = "小框架", en = "Mini" }

[[grades]]
id = "good"
from = 8
title = { zh_Hans = "好", en = "Good" }

[[grades]]
id = "poor"
title = { zh_Hans = "差", en = "Poor" }

[[categories]]
id = "work"
points = 6
title = { zh_Hans = "工作", en = "Work" }

[[categories.items]]
id = "work.done"
points = 4
source = "on-site"
methods = ["document_review"]
title = { zh_Hans = "完成", en = "Done" }

[[categories.items]]
id = "work.rate"
points = 2
source = "data"
title = { zh_Hans = "比率", en = "Rate" }
rule = { type = "bands", bands = [
  { to = 50, points = 0 },
  { from = 50, to = 80, points = 1 },
  { from = 80, points = 2 },
] }

[categories.items.data]
unit = "percent"
min = 0
max = 100
numerator = { zh_Hans = "甲", en = "A" }
denominator = { zh_Hans = "乙", en = "B" }

[[categories]]
id = "people"
kind = "individual"
points = 4
title = { zh_Hans = "群众", en = "People" }

[[categories.items]]
id = "people.users"
points = 3
source = "survey"
title = { zh_Hans = "满意度", en = "Satisfaction" }
survey = { dimension = "service_users", indicator = "satisfaction.overall" }
rule = { type = "linear", points_at = [[50, 0], [90, 3]] }

[[categories.items]]
id = "people.self"
points = 1
source = "self-assessment"
evidence = true
title = { zh_Hans = "自评", en = "Self" }

[[categories]]
id = "plus"
kind = "innovation-bonus"
cap = 2
title = { zh_Hans = "加分", en = "Bonus" }

[[categories.items]]
id = "plus.prize"
source = "event"
cap = 1.5
levels = [
  { id = "national", points = 1, title = { zh_Hans = "国家", en = "National" } },
  { id = "provincial", points = 0.5, title = { zh_Hans = "省", en = "Provincial" } },
]
title = { zh_Hans = "奖", en = "Prize" }

[[categories.items]]
id = "plus.pilot"
source = "event"
cap = 1
per_event = 1
title = { zh_Hans = "试点", en = "Pilot" }

[[categories]]
id = "minus"
kind = "innovation-deduction"
cap = 3
title = { zh_Hans = "扣分", en = "Deductions" }

[[categories.items]]
id = "minus.breach"
source = "event"
cap = 2
per_event = 1
title = { zh_Hans = "违规", en = "Breach" }
"""

UNIT_SET = """\
id = "mini-unit"
extends = "mini"
extends_version = "VERSION"
units = ["u1"]
title = { zh_Hans = "个性", en = "Own items" }

[[categories]]
id = "people"

[[categories.items]]
id = "own.queue"
points = 4
source = "data"
title = { zh_Hans = "排队", en = "Queue" }
data = { unit = "count", min = 0 }
rule = { type = "linear", points_at = [[0, 4], [8, 0]] }
"""


def unit_set_text(version: str) -> str:
    return edited(UNIT_SET, "VERSION", version)


def edited(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced (the test fails if it is not one)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def mini(old: str = "", new: str = "") -> str:
    return edited(MINI, old, new) if old else MINI


def refusal(text: str, file: str = "mini.toml") -> str:
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, file=file)
    return str(caught.value)


# --- the format --------------------------------------------------------------------------------


def test_mini_framework_reads_as_written() -> None:
    framework = parse_framework(MINI, file="mini.toml")
    assert framework.id == "mini"
    assert framework.total == 10
    assert [c.id for c in framework.categories] == ["work", "people", "plus", "minus"]
    assert [c.id for c in framework.scored_categories] == ["work", "people"]
    assert [c.id for c in framework.individual_categories] == ["people"]
    assert framework.grade_thresholds == (("good", 8.0), ("poor", None))
    users = framework.item("people.users")
    assert (users.kind, users.source, users.points) == ("individual", "survey", 3.0)
    assert users.survey is not None and users.survey.measure == "index"
    prize = framework.item("plus.prize")
    assert prize.points == 1.5 and prize.level("provincial").points == 0.5 and prize.evidence
    assert framework.item("work.rate").data is not None
    assert framework.item("work.done").methods == ("document_review",)
    with pytest.raises(KeyError):
        framework.item("nope")


def test_category_weights_are_shares_of_the_total() -> None:
    text = mini('id = "work"\npoints = 6', 'id = "work"\nweight = 0.6')
    text = edited(text, 'kind = "individual"\npoints = 4', 'kind = "individual"\nweight = 0.4')
    framework = parse_framework(text, file="mini.toml")
    assert [c.points for c in framework.scored_categories] == [6.0, 4.0]


def test_points_adding_up_to_the_total_through_decimals_are_accepted() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; the file means 0.3.
    text = mini(
        'id = "people.self"\npoints = 1',
        'id = "people.self"\npoints = 0.1\n',
    )
    text = edited(text, 'id = "people.users"\npoints = 3', 'id = "people.users"\npoints = 3.9')
    text = edited(
        text,
        'rule = { type = "linear", points_at = [[50, 0], [90, 3]] }',
        'rule = { type = "linear", points_at = [[50, 0], [90, 3.9]] }',
    )
    framework = parse_framework(text, file="mini.toml")
    assert math.isclose(sum(i.points for i in framework.category("people").items), 4.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # weights and points that do not add up
        (
            'id = "work"\npoints = 6',
            'id = "work"\npoints = 5',
            "mini.toml:work: field 'items': items add up to 6 points, not the category's 5",
        ),
        (
            "total = 10",
            "total = 12",
            "mini.toml:-: field 'categories': categories add up to 10 points, not the total 12",
        ),
        (
            'id = "work"\npoints = 6',
            'id = "work"\nweight = 0.6',
            "mini.toml:-: field 'categories': give every category points, or every one a weight",
        ),
        (
            'id = "work"\npoints = 6',
            'id = "work"\npoints = 6\nweight = 0.6',
            "mini.toml:work: field 'points': give points or weight, one of the two",
        ),
        # a rule outside the item's points
        (
            "points_at = [[50, 0], [90, 3]]",
            "points_at = [[50, 0], [90, 4]]",
            "mini.toml:people.users: field 'rule': gives 4 points, above the item's 3",
        ),
        (
            "points_at = [[50, 0], [90, 3]]",
            "points_at = [[50, 0], [90, 2.5]]",
            "mini.toml:people.users: field 'rule': gives at most 2.5 points: no value reaches"
            " the item's 3",
        ),
        (
            "points_at = [[50, 0], [90, 3]]",
            "points_at = [[50, -1], [90, 3]]",
            "mini.toml:people.users: field 'rule': gives -1 points, below 0",
        ),
        (
            "points_at = [[50, 0], [90, 3]]",
            "points_at = [[50, 3], [90, 0]]",
            "mini.toml:people.users: field 'rule': a survey rule must not give fewer points for"
            " a higher index",
        ),
        (
            "points_at = [[50, 0], [90, 3]]",
            "points_at = [[50, 0], [120, 3]]",
            "mini.toml:people.users: field 'rule.points_at': 120 is outside the item's values"
            " (0 to 100)",
        ),
        (
            "points_at = [[50, 0], [90, 3]]",
            "points_at = [[50, 0]]",
            "mini.toml:people.users: field 'rule.points_at': must be two [value, points] pairs"
            " such as [[50, 0], [95, 8]]",
        ),
        (
            "{ from = 80, points = 2 }",
            "{ from = 80, points = 2.5 }",
            "mini.toml:work.rate: field 'rule': gives 2.5 points, above the item's 2",
        ),
        # bands that overlap or leave gaps
        (
            "{ from = 50, to = 80, points = 1 }",
            "{ from = 50, to = 85, points = 1 }",
            "mini.toml:work.rate: field 'rule.bands': bands [50, 85) and [80, 100) overlap",
        ),
        (
            "{ from = 50, to = 80, points = 1 }",
            "{ from = 55, to = 80, points = 1 }",
            "mini.toml:work.rate: field 'rule.bands': gap: no band covers 50 to 55",
        ),
        (
            "{ to = 50, points = 0 }",
            "{ from = 10, to = 50, points = 0 }",
            "mini.toml:work.rate: field 'rule.bands': gap: no band covers 0 to 10",
        ),
        (
            "{ from = 80, points = 2 }",
            "{ from = 80, to = 95, points = 2 }",
            "mini.toml:work.rate: field 'rule.bands': gap: no band covers 95 to 100",
        ),
        (
            "{ from = 80, points = 2 }",
            "{ from = 80, to = 110, points = 2 }",
            "mini.toml:work.rate: field 'rule.bands': band [80, 110) ends above the highest"
            " value 100",
        ),
        (
            "{ from = 50, to = 80, points = 1 }",
            "{ from = 80, to = 50, points = 1 }",
            "mini.toml:work.rate: field 'rule.bands[2]': from 80 must be below to 50",
        ),
        # unknown source or kind
        (
            'source = "on-site"',
            'source = "hearsay"',
            "mini.toml:work.done: field 'source': unknown source 'hearsay' (expected one of"
            " ['survey', 'self-assessment', 'on-site', 'data', 'event'])",
        ),
        (
            'kind = "individual"',
            'kind = "special"',
            "mini.toml:people: field 'kind': unknown kind 'special' (expected one of"
            " ['common', 'individual', 'innovation-bonus', 'innovation-deduction'])",
        ),
        (
            'id = "work.done"\npoints = 4',
            'id = "work.done"\nkind = "individual"\npoints = 4',
            "mini.toml:work.done: field 'kind': 'individual' differs from its category's 'common'",
        ),
        (
            'methods = ["document_review"]',
            'methods = ["gossip"]',
            "mini.toml:work.done: field 'methods': unknown method 'gossip' (expected one of"
            " ['document_review', 'on_site_check', 'interview', 'symposium'])",
        ),
        (
            'dimension = "service_users"',
            'dimension = "everyone"',
            "mini.toml:people.users: field 'survey.dimension': unknown dimension"
            " 'everyone' (expected one of ['service_users', 'stakeholders', 'staff'])",
        ),
        (
            'id = "minus.breach"\nsource = "event"',
            'id = "minus.breach"\nsource = "on-site"',
            "mini.toml:minus.breach: field 'source': an innovation item's source is 'event'",
        ),
        # duplicate ids
        (
            'id = "people.self"',
            'id = "work.done"',
            "mini.toml:work.done: field 'id': duplicate item id (also in category 'work')",
        ),
        (
            'id = "people"',
            'id = "work"',
            "mini.toml:work: field 'id': duplicate category id",
        ),
        (
            '{ id = "provincial", points = 0.5',
            '{ id = "national", points = 0.5',
            "mini.toml:plus.prize: field 'levels[2].id': duplicate level id 'national'",
        ),
        # missing translations
        (
            'title = { zh_Hans = "完成", en = "Done" }',
            'title = { zh_Hans = "完成" }',
            "mini.toml:work.done: field 'title': missing translation for 'en'",
        ),
        (
            'title = { zh_Hans = "完成", en = "Done" }',
            'title = { zh_Hans = "完成", en = "Done", zh_Hant = "完成" }',
            "mini.toml:work.done: field 'title': language 'zh_Hant' is not declared",
        ),
        (
            'title = { zh_Hans = "工作", en = "Work" }',
            'title = { zh_Hans = "工作", en = " " }',
            "mini.toml:work: field 'title': missing translation for 'en'",
        ),
        # caps missing on bonus or deduction
        (
            'kind = "innovation-bonus"\ncap = 2',
            'kind = "innovation-bonus"',
            "mini.toml:plus: field 'cap': missing: an innovation-bonus category needs a cap on"
            " its yearly points",
        ),
        (
            'id = "minus.breach"\nsource = "event"\ncap = 2',
            'id = "minus.breach"\nsource = "event"',
            "mini.toml:minus.breach: field 'cap': missing: an event item needs a cap on its"
            " yearly points",
        ),
        (
            "cap = 1\nper_event = 1",
            "cap = 1\nper_event = 1.5",
            "mini.toml:plus.pilot: field 'per_event': 1.5 points per event is above the item's"
            " cap 1",
        ),
        (
            "cap = 1\nper_event = 1",
            "cap = 1",
            "mini.toml:plus.pilot: field 'per_event': give per_event or levels, one of the two",
        ),
        # source-specific keys and the rest
        (
            'methods = ["document_review"]',
            'methods = ["document_review"]\nevidence = true',
            "mini.toml:work.done: field 'evidence': unknown key (expected one of ['criteria',"
            " 'id', 'kind', 'methods', 'points', 'source', 'title'])",
        ),
        (
            'title = { zh_Hans = "小框架", en = "Mini" }',
            'title = { zh_Hans = "小框架", en = "Mini" }\ntotl = 3',
            "mini.toml:-: field 'totl': unknown key (expected one of ['categories',"
            " 'description', 'grades', 'id', 'languages', 'title', 'total'])",
        ),
        (
            'id = "good"\nfrom = 8',
            'id = "good"',
            "mini.toml:-: field 'grades[1].from': needs 'from' (the lowest points)",
        ),
        (
            'unit = "percent"\nmin = 0\nmax = 100',
            'unit = "count"\nmin = 0\nmax = 100',
            "mini.toml:work.rate: field 'data.unit': a ratio of numerator to denominator is a"
            " percent",
        ),
        (
            'id = "mini"',
            'id = "other"',
            "mini.toml:-: field 'id': 'other' must equal the file name 'mini'",
        ),
        (
            "total = 10",
            "total = [",
            None,
        ),
    ],
)
def test_refusals_name_file_item_field_and_problem(old: str, new: str, message: str | None) -> None:
    got = refusal(mini(old, new))
    if message is None:
        assert got.startswith("mini.toml:-: not valid TOML: ")
    else:
        assert got == message


def test_open_ended_data_needs_an_open_top_band() -> None:
    text = mini(
        'unit = "percent"\nmin = 0\nmax = 100\nnumerator = { zh_Hans = "甲", en = "A" }\n'
        'denominator = { zh_Hans = "乙", en = "B" }',
        'unit = "count"\nmin = 0',
    )
    text = edited(text, "{ from = 80, points = 2 }", "{ from = 80, to = 90, points = 2 }")
    assert refusal(text) == (
        "mini.toml:work.rate: field 'rule.bands': gap: no band covers 90 and more (leave out 'to')"
    )


# --- unit sets ---------------------------------------------------------------------------------


def test_unit_set_replaces_the_individual_defaults() -> None:
    base = parse_framework(MINI, file="mini.toml")
    unit_set = parse_unit_set(unit_set_text(base.version), file="mini-unit.toml", frameworks=[base])
    assert unit_set.units == ("u1",) and unit_set.extends_version == base.version
    scored = base.for_unit_set(unit_set)
    assert [i.id for i in scored.category("people").items] == ["own.queue"]
    assert scored.item("own.queue").kind == "individual"
    assert [i.id for i in scored.category("work").items] == ["work.done", "work.rate"]
    assert scored.versions == (base.version, unit_set.version)
    assert base.versions == (base.version, None)


def unit_set_refusal(text: str) -> str:
    base = parse_framework(MINI, file="mini.toml")
    with pytest.raises(FrameworkError) as caught:
        parse_unit_set(text, file="mini-unit.toml", frameworks=[base])
    return str(caught.value)


def test_unit_set_refusals() -> None:
    version = parse_framework(MINI, file="mini.toml").version
    good = unit_set_text(version)
    assert unit_set_refusal(edited(good, 'extends = "mini"', 'extends = "maxi"')) == (
        "mini-unit.toml:-: field 'extends': unknown framework 'maxi' (known: ['mini'])"
    )
    other = "0" * 64
    assert unit_set_refusal(edited(good, version, other)) == (
        f"mini-unit.toml:-: field 'extends_version': 000000000000 is not a known version of"
        f" 'mini' (known: {version[:12]}); review the items against the framework and update"
        " extends_version"
    )
    assert unit_set_refusal(edited(good, "points = 4", "points = 3")) == (
        "mini-unit.toml:own.queue: field 'rule': gives 4 points, above the item's 3"
    )
    three_points = edited(edited(good, "points = 4", "points = 3"), "[[0, 4]", "[[0, 3]")
    assert unit_set_refusal(three_points) == (
        "mini-unit.toml:people: field 'items': items add up to 3 points, not the category's 4"
    )
    assert unit_set_refusal(edited(good, 'id = "people"', 'id = "work"')) == (
        "mini-unit.toml:work: field 'id': not an individual category of 'mini' (individual:"
        " ['people'])"
    )
    assert unit_set_refusal(edited(good, 'id = "own.queue"', 'id = "work.done"')) == (
        "mini-unit.toml:work.done: field 'id': duplicate item id (also in category 'work')"
    )
    assert unit_set_refusal(
        edited(good, 'title = { zh_Hans = "排队", en = "Queue" }', 'title = { zh_Hans = "排队" }')
    ) == ("mini-unit.toml:own.queue: field 'title': missing translation for 'en'")
    assert unit_set_refusal(edited(good, 'units = ["u1"]', "units = []")) == (
        "mini-unit.toml:-: field 'units': must be a non-empty list"
    )


def test_a_unit_set_is_never_applied_to_another_version() -> None:
    base = parse_framework(MINI, file="mini.toml")
    unit_set = parse_unit_set(unit_set_text(base.version), file="mini-unit.toml", frameworks=[base])
    changed = parse_framework(MINI + "# a comment\n", file="mini.toml")
    with pytest.raises(ValueError, match="extends 'mini' version"):
        changed.for_unit_set(unit_set)


# --- folders -----------------------------------------------------------------------------------


def test_check_directory_reports_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "units").mkdir()
    (tmp_path / "mini.toml").write_text(MINI, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(
        MINI.replace('id = "mini"', 'id = "broken"').replace("total = 10", "total = 11"),
        encoding="utf-8",
    )
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + MINI.encode())
    version = parse_framework(MINI, file="mini.toml").version
    (tmp_path / "units" / "mini-unit.toml").write_text(unit_set_text(version), encoding="utf-8")
    (tmp_path / "units" / "orphan.toml").write_text(
        unit_set_text(version)
        .replace('"mini-unit"', '"orphan"')
        .replace('extends = "mini"', 'extends = "broken"'),
        encoding="utf-8",
    )
    (tmp_path / "units" / "twice.toml").write_text(
        unit_set_text(version).replace('"mini-unit"', '"twice"'), encoding="utf-8"
    )
    errors = [str(e) for e in check_directory(tmp_path)]
    assert errors == [
        f"{tmp_path / 'bom.toml'}:-: starts with a BOM: save as UTF-8 without BOM",
        f"{tmp_path / 'broken.toml'}:-: field 'categories': categories add up to 10 points, not"
        " the total 11",
        f"{tmp_path / 'units' / 'orphan.toml'}:-: field 'extends': 'broken' does not load: fix"
        " its file first",
        f"{tmp_path / 'units' / 'twice.toml'}:-: field 'units': unit 'u1' already has the set"
        " 'mini-unit'",
    ]
    with pytest.raises(FrameworkError, match="BOM"):
        load_directory(tmp_path)
    assert [str(e) for e in check_directory(tmp_path / "nowhere")] == [
        f"{tmp_path / 'nowhere'}:-: no such folder"
    ]


def test_version_is_the_hash_of_the_bytes_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "mini.toml"
    path.write_text(MINI, encoding="utf-8")
    first, again = load_framework(path), load_framework(path)
    assert first.version == again.version == hashlib.sha256(MINI.encode("utf-8")).hexdigest()
    # The stored text parses to the same version: a scored cycle keeps its framework.
    assert parse_framework(first.source, file="mini.toml").version == first.version
    path.write_text(MINI + "# reviewed\n", encoding="utf-8")
    assert load_framework(path).version != first.version


# --- the shipped files -------------------------------------------------------------------------


def test_shipped_files_load_without_a_problem() -> None:
    assert check_directory(FRAMEWORKS) == []


def test_shipped_common_framework_is_the_provincial_practice() -> None:
    library = load_directory(FRAMEWORKS)
    framework = library.frameworks["provincial-institutions"]
    assert framework.languages == ("zh_Hans", "zh_Hant", "en")
    assert framework.total == 100
    scored = framework.scored_categories
    assert [c.id for c in scored] == [
        "party",
        "governance",
        "mandate",
        "staffing",
        "performance",
        "posts",
        "social",
    ]
    # Hand-added from the file: 12 + 12 + 12 + 14 + 20 + 10 + 20.
    assert [c.points for c in scored] == [12, 12, 12, 14, 20, 10, 20]
    assert 45 <= sum(len(c.items) for c in scored) <= 55
    assert [(c.kind, c.cap) for c in framework.innovation_categories] == [
        ("innovation-bonus", 5),
        ("innovation-deduction", 10),
    ]
    assert [c.id for c in framework.individual_categories] == ["performance"]
    # Social evaluation: the three separate dimensions of the surveys, one item each.
    feeds = {i.survey.dimension for i in framework.category("social").items if i.survey}
    assert feeds == {"service_users", "stakeholders", "staff"}
    assert framework.grade_thresholds == (
        ("excellent", 90),
        ("good", 80),
        ("fair", 60),
        ("poor", None),
    )
    for item in framework.items:
        assert item.criteria is not None, f"{item.id} has no scoring criteria"
    assert {i.source for i in framework.items} == {
        "survey",
        "self-assessment",
        "on-site",
        "data",
        "event",
    }


def test_shipped_service_centre_set_extends_the_current_framework() -> None:
    library = load_directory(FRAMEWORKS)
    framework = library.frameworks["provincial-institutions"]
    (unit_set,) = library.unit_sets_for("zwfw")
    assert unit_set.id == "gov-service-centre"
    # If this fails, the common framework changed: review the set against it and
    # update its extends_version (check_directory says the same in words).
    assert unit_set.extends_version == framework.version
    scored = framework.for_unit_set(unit_set)
    items = scored.category("performance").items
    assert sum(i.points for i in items) == 20
    assert {i.id for i in items} >= {"gsc.online_rate", "gsc.bad_review_fix", "gsc.one_visit"}


# --- points ------------------------------------------------------------------------------------


def test_rules_give_the_points_worked_out_by_hand() -> None:
    framework = load_directory(FRAMEWORKS).frameworks["provincial-institutions"]
    users = framework.item("social.service_users")  # 50 -> 0, 95 -> 8
    assert survey_points(users, 50) == 0
    assert survey_points(users, 72.5) == pytest.approx(4.0)  # halfway
    assert survey_points(users, 86) == pytest.approx(8 * 36 / 45)
    assert survey_points(users, 30) == 0 and survey_points(users, 99) == 8
    stakeholders = framework.item("social.stakeholders")  # bands, lower ends inclusive
    assert [survey_points(stakeholders, x) for x in (0, 59.99, 60, 74.99, 75, 89.99, 90, 100)] == [
        0,
        0,
        2,
        3,
        4,
        6,
        7,
        7,
    ]
    over = framework.item("staffing.over")  # 1 point off per person over, down to 0
    assert [data_points(over, n) for n in (0, 1, 2, 3, 7)] == [3, 2, 1, 0, 0]
    fill = framework.item("staffing.fill_rate")  # open-ended percent
    assert ratio_value(fill, 45, 50) == pytest.approx(90.0)
    assert data_points(fill, ratio_value(fill, 45, 50)) == 3
    assert data_points(fill, 112.0) == 3 and data_points(fill, 79.9) == 1
    rule = stakeholders.rule
    assert rule is not None
    assert list(rule.points(np.array([59.0, 60.0, 95.0]))) == [0, 2, 7]


def test_scores_outside_the_item_are_refused_by_item() -> None:
    framework = load_directory(FRAMEWORKS).frameworks["provincial-institutions"]
    leadership = framework.item("party.leadership")  # on-site, 2 points
    assert assessed_points(leadership, 1.5) == 1.5
    cases = [
        (
            lambda: assessed_points(leadership, 2.5),
            "item 'party.leadership': score 2.5 is above the item's maximum 2",
        ),
        (lambda: assessed_points(leadership, -1), "item 'party.leadership': score -1 is below 0"),
        (
            lambda: assessed_points(leadership, float("nan")),
            "item 'party.leadership': the score must be a number, not nan",
        ),
        (
            lambda: assessed_points(framework.item("staffing.over"), 1),
            "item 'staffing.over': is a data item, not self-assessment or on-site",
        ),
        (
            lambda: data_points(framework.item("mandate.tasks"), 101),
            "item 'mandate.tasks': value 101 is outside the item's range (0 to 100)",
        ),
        (
            lambda: data_points(framework.item("staffing.over"), -1),
            "item 'staffing.over': value -1 is outside the item's range (0 or more)",
        ),
        (
            lambda: ratio_value(framework.item("staffing.fill_rate"), 3, 0),
            "item 'staffing.fill_rate': the denominator 0 must be above 0",
        ),
        (
            lambda: survey_points(framework.item("social.staff"), 101),
            "item 'social.staff': survey figure 101 is outside 0 to 100",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ScoreError) as caught:
            call()
        assert str(caught.value) == message


def test_events_are_capped_per_item_then_per_category() -> None:
    framework = load_directory(FRAMEWORKS).frameworks["provincial-institutions"]
    events = [
        Event("bonus.reform", "national"),  # 2
        Event("bonus.reform", "provincial"),  # +1 = 3, at the item cap 3
        Event("bonus.reform", "municipal"),  # +0.5 = 3.5, capped to 3
        Event("bonus.honours", "national"),  # 1
        Event("bonus.honours", "national"),  # 2, at its cap
        Event("bonus.pilot"),  # 1; bonus items 3 + 2 + 1 = 6, category cap 5
        Event("deduction.discipline", "staff"),  # 1
        Event("deduction.accident"),  # 3
    ]
    result = innovation_points(framework, events)
    assert result.by_item["bonus.reform"] == 3
    assert result.by_item["bonus.honours"] == 2
    assert result.by_category == {"bonus": 5, "deduction": 4}
    assert (result.bonus, result.deduction, result.net) == (5, 4, 1)
    assert result.capped == ("bonus.reform", "bonus")
    for event, message in [
        (
            Event("bonus.reform"),
            "item 'bonus.reform': an event needs its level (one of"
            " ['national', 'provincial', 'municipal'])",
        ),
        (Event("bonus.reform", "galactic"), "item 'bonus.reform': unknown level 'galactic'"),
        (Event("bonus.pilot", "national"), "item 'bonus.pilot': has no levels"),
        (Event("party.leadership"), "item 'party.leadership': is an on-site item, not event"),
        (
            Event("bonus.nothing"),
            "item 'bonus.nothing': is not an item of 'provincial-institutions'",
        ),
    ]:
        with pytest.raises(ScoreError) as caught:
            innovation_points(framework, [event])
        assert str(caught.value) == message


def test_unit_year_hands_fixed_points_and_survey_terms_to_the_composite() -> None:
    framework = parse_framework(MINI, file="mini.toml")
    index = Estimate(80.0, 2.0, 40.0, 76.0, 84.0, 0.95, 41, "test")
    year = unit_year(
        framework,
        "u1",
        survey={"people.users": index},
        assessed={"work.done": 3.5, "people.self": 1},
        data={"work.rate": 65.0},
        events=[Event("plus.prize", "national"), Event("minus.breach")],
    )
    # work.rate 65 is in the band [50, 80): 1 point; bonus 1; deduction 1 (negative).
    assert year.fixed == {
        "work.done": 3.5,
        "work.rate": 1.0,
        "people.self": 1.0,
        "plus": 1.0,
        "minus": -1.0,
    }
    assert list(year.survey) == ["people.users"] and year.survey["people.users"].estimate == index
    assert missing_inputs(framework, survey={}, assessed={"work.done": 1}, data={}) == (
        "work.rate",
        "people.users",
        "people.self",
    )
    with pytest.raises(ScoreError) as caught:
        unit_year(framework, "u1", survey={}, assessed={"work.done": 1}, data={})
    assert str(caught.value) == "item 'work.rate': has no figure yet (and 2 more)"
    complete = {"assessed": {"work.done": 1, "people.self": 1}, "data": {"work.rate": 1}}
    for extra, message in [
        (
            {"survey": {"people.users": index, "work.done": index}},
            "item 'work.done': is an on-site item, not survey",
        ),
        (
            {"survey": {"people.users": index, "nope": index}},
            "item 'nope': is not an item of 'mini'",
        ),
    ]:
        with pytest.raises(ScoreError) as caught:
            unit_year(framework, "u1", **complete, **extra)
        assert str(caught.value) == message
    with pytest.raises(ScoreError) as caught:
        unit_year(
            framework,
            "u1",
            survey={"people.users": Estimate.suppressed(n=3)},
            assessed={"work.done": 1, "people.self": 1},
            data={"work.rate": 1},
        )
    assert str(caught.value) == (
        "item 'people.users': its survey estimate is withheld (suppressed: n below 5)"
    )


def test_a_share_satisfied_is_read_in_percent() -> None:
    text = mini(
        'indicator = "satisfaction.overall" }',
        'indicator = "satisfaction.overall", measure = "share_satisfied" }',
    )
    framework = parse_framework(text, file="mini.toml")
    share = Estimate(0.82, 0.03, 40.0, 0.75, 0.88, 0.95, 41, "test")
    year = unit_year(
        framework,
        "u1",
        survey={"people.users": share},
        assessed={"work.done": 1, "people.self": 1},
        data={"work.rate": 1},
    )
    scaled = year.survey["people.users"].estimate
    assert (scaled.estimate, scaled.se, scaled.low, scaled.high) == pytest.approx(
        (82.0, 3.0, 75.0, 88.0)
    )


def test_full_marks_on_the_shipped_files_add_up_to_the_total() -> None:
    """Every item at its best, on the service centre's scorecard, is exactly 100 points."""
    library = load_directory(FRAMEWORKS)
    framework = library.frameworks["provincial-institutions"].for_unit_set(
        library.unit_sets["gov-service-centre"]
    )
    assessed = {
        i.id: i.points for i in framework.items if i.source in ("self-assessment", "on-site")
    }
    # A value giving full points, read off each rule as written in the files.
    best_data = {
        "governance.budget": 97.0,
        "mandate.tasks": 100.0,
        "staffing.fill_rate": 96.0,
        "staffing.over": 0.0,
        "staffing.real_name": 100.0,
        "posts.structure": 0.0,
        "posts.leaders": 0.0,
        "social.hotline": 100.0,
        "gsc.online_rate": 98.0,
        "gsc.full_online": 92.0,
        "gsc.good_review": 99.8,
        "gsc.bad_review_fix": 100.0,
        "gsc.on_time": 100.0,
    }
    top = Estimate(99.0, 0.1, 500.0, 98.8, 99.2, 0.95, 501, "test")
    surveys = {i.id: top for i in framework.items if i.source == "survey"}
    assert set(surveys) == {
        "social.service_users",
        "social.stakeholders",
        "social.staff",
        "gsc.one_visit",
    }
    year = unit_year(framework, "zwfw", survey=surveys, assessed=assessed, data=best_data)
    fixed = sum(year.fixed.values())
    survey = sum(term.rule.points(term.estimate.estimate).item() for term in year.survey.values())
    # Survey items: 8 + 7 + 3 + 3 = 21; everything else 79; no events.
    assert survey == pytest.approx(21.0)
    assert fixed + survey == pytest.approx(100.0)
    assert year.fixed["bonus"] == 0 and year.fixed["deduction"] == 0


def test_a_worked_year_of_the_service_centre() -> None:
    """Survey figures, events and two lost points, added by hand, through to the grade."""
    library = load_directory(FRAMEWORKS)
    framework = library.frameworks["provincial-institutions"].for_unit_set(
        library.unit_sets["gov-service-centre"]
    )
    assessed = {
        i.id: i.points for i in framework.items if i.source in ("self-assessment", "on-site")
    }
    assessed["party.leadership"] = 1.5  # 0.5 lost
    data = {
        "governance.budget": 92.0,  # band [90, 95): 1.5 of 2, 0.5 lost
        "mandate.tasks": 95.0,  # 3 * 15/20 = 2.25 of 3, 0.75 lost
        "staffing.fill_rate": 91.0,
        "staffing.over": 0.0,
        "staffing.real_name": 100.0,
        "posts.structure": 0.0,
        "posts.leaders": 0.0,
        "social.hotline": 100.0,
        "gsc.online_rate": 98.0,
        "gsc.full_online": 92.0,
        "gsc.good_review": 99.8,
        "gsc.bad_review_fix": 100.0,
        "gsc.on_time": 100.0,
    }

    def index(value: float) -> Estimate:
        return Estimate(value, 1.0, 300.0, value - 2.0, value + 2.0, 0.95, 301, "test")

    surveys = {
        "social.service_users": index(86.0),  # 8 * 36/45 = 6.4
        "social.stakeholders": index(87.0),  # band [85, 90): 6
        "social.staff": index(80.0),  # 3 * 30/40 = 2.25
        "gsc.one_visit": index(90.0),  # 3 * 40/45 = 2.6667
    }
    events = [Event("bonus.reform", "provincial"), Event("deduction.discipline", "staff")]
    year = unit_year(framework, "zwfw", survey=surveys, assessed=assessed, data=data, events=events)
    result = score(year, rng=2024, grades=framework.grade_thresholds)
    # Non-survey items: 100 - 21 (survey) - 0.5 - 0.5 - 0.75 = 77.25; events +1 - 1.
    expected = 77.25 + 6.4 + 6 + 2.25 + 40 / 15
    assert result.total.points == pytest.approx(expected)
    assert result.total.method == "simulation"  # the stakeholders' bands
    assert result.total.low <= result.total.points <= result.total.high
    assert result.grade is not None and result.grade.grade == "excellent"
