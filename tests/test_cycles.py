"""Framework versions stored by hash, the framework commands, and opening evaluation cycles.

Every refusal is checked by its message and by the database being unchanged
afterwards: a cycle that cannot be scored is never half opened.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from factories import gen_campaign, gen_unit, gen_user

from survey.extensions import db
from survey.models import AuditEvent, Cycle, CycleCampaign, CycleDeadline, FrameworkVersion
from survey.scorecard import load_directory
from survey.scorecard.cycles import (
    CycleRefused,
    CycleSpec,
    approve_unit_set,
    framework_for_unit,
    open_cycle,
)
from survey.scorecard.messages import ScorecardError
from survey.scorecard.store import framework_of, framework_version, register_versions

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT / "frameworks"


def _count(model: type) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def stored_framework() -> FrameworkVersion:
    register_versions()
    library = load_directory(FRAMEWORKS)
    row = framework_version(library.frameworks["provincial-institutions"].version)
    assert row is not None
    return row


def test_framework_check_lists_the_shipped_files(runner) -> None:
    result = runner.invoke(args=["survey", "framework", "check"])
    assert result.exit_code == 0, result.output
    assert "provincial-institutions: 9 categories, 56 items, version" in result.output
    assert "gov-service-centre: 7 individual items for zwfw" in result.output


def test_framework_check_names_file_item_and_field_and_exits_1(runner, tmp_path: Path) -> None:
    shutil.copytree(FRAMEWORKS, tmp_path / "f")
    path = tmp_path / "f" / "provincial-institutions.toml"
    text = path.read_text(encoding="utf-8")
    # party.leadership's 2 points become 3: the category's items no longer add up to 12.
    path.write_text(
        text.replace('id = "party.leadership"\npoints = 2', 'id = "party.leadership"\npoints = 3'),
        encoding="utf-8",
    )
    result = runner.invoke(args=["survey", "framework", "check", str(tmp_path / "f")])
    assert result.exit_code == 1
    assert (
        f"{path}:party: field 'items': items add up to 13 points, not the category's 12"
        in result.output
    )
    # The unit set extending the broken framework is reported too, not silently dropped.
    assert "gov-service-centre.toml:-: field 'extends'" in result.output


def test_framework_load_stores_each_version_once_and_the_text_reads_back(runner) -> None:
    first = runner.invoke(args=["survey", "framework", "load"])
    assert first.exit_code == 0, first.output
    assert "stored framework provincial-institutions version e9e7016c5d18" in first.output
    assert "stored unit_set gov-service-centre version" in first.output
    again = runner.invoke(args=["survey", "framework", "load"])
    assert "all framework versions already stored" in again.output
    assert _count(FrameworkVersion) == 2
    row = stored_framework()
    on_disk = load_directory(FRAMEWORKS).frameworks["provincial-institutions"]
    assert framework_of(row).version == on_disk.version == row.version
    assert framework_of(row).items == on_disk.items


def _spec(**changes: object) -> CycleSpec:
    units = changes.pop("units", None)
    if units is None:
        units = [gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "省人民医院")]
    campaign = changes.pop("campaign", None) or gen_campaign(
        units, period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31)
    )
    db.session.flush()
    fields: dict = {
        "code": "c2024",
        "name": "2024-2026 考评",
        "framework": stored_framework(),
        "first_year": 2024,
        "units": units,
        "campaigns": {2024: campaign, 2025: campaign, 2026: campaign},
        "deadlines": {(2024, "self_assessment"): dt.date(2025, 1, 31)},
    }
    fields.update(changes)
    return CycleSpec(**fields)


def test_open_cycle_stores_units_campaigns_and_deadlines_and_is_audited(app) -> None:
    cycle = open_cycle(_spec())
    db.session.commit()
    assert (cycle.first_year, cycle.years, cycle.year_list) == (2024, 3, [2024, 2025, 2026])
    assert sorted(link.unit.code for link in cycle.units) == ["rmyy", "zwfw"]
    assert [c.year for c in cycle.campaigns] == [2024, 2025, 2026]
    assert db.session.get(CycleDeadline, (cycle.id, 2024, "self_assessment")).due == dt.date(
        2025, 1, 31
    )
    event = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "cycle.open")
    ).scalar_one()
    assert '"c2024"' in (event.after or "")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "Bad Code"}, "A cycle's code is 1 to 40 lowercase letters"),
        ({"years": 11}, "A cycle lasts 1 to 10 years, not 11."),
        ({"name": "考" * 201}, "A cycle's name is at most 200 characters long."),
        ({"units": []}, "Choose at least one unit to evaluate."),
        (
            {"deadlines": {(2027, "on_site"): dt.date(2027, 1, 1)}},
            "2027 is not a year of the cycle",
        ),
        ({"deadlines": {(2024, "party"): dt.date(2025, 1, 1)}}, "Unknown step 'party'"),
    ],
)
def test_open_cycle_refuses_bad_input_and_stores_nothing(app, change, message) -> None:
    with pytest.raises(ScorecardError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_cycle(_spec(**change))
    db.session.rollback()
    assert _count(Cycle) == 0 and _count(CycleCampaign) == 0


def test_a_unit_the_feeding_campaign_does_not_survey_is_refused(app) -> None:
    surveyed, missing = gen_unit("zwfw"), gen_unit("gaj")
    campaign = gen_campaign(
        [surveyed], period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31)
    )
    db.session.flush()
    with pytest.raises(ScorecardError) as raised:
        open_cycle(_spec(units=[surveyed, missing], campaign=campaign))
    assert raised.value.message() == (
        f"Unit gaj is not surveyed by campaign {campaign.code}, which feeds 2024: "
        "its survey items would have no data."
    )
    db.session.rollback()
    assert _count(Cycle) == 0


def test_a_campaign_not_covering_the_year_or_missing_a_dimension_is_refused(app) -> None:
    units = [gen_unit("zwfw")]
    short = gen_campaign(units, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31))
    db.session.flush()
    with pytest.raises(ScorecardError, match="does not cover 2025"):
        open_cycle(_spec(units=units, campaign=short))
    db.session.rollback()
    units = [gen_unit("zwfw")]
    no_staff = gen_campaign(
        units,
        groups={"service_user": {}, "deputy": {}},
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    db.session.flush()
    with pytest.raises(ScorecardError) as raised:
        open_cycle(_spec(units=units, campaign=no_staff))
    assert raised.value.message() == (
        "Item social.staff needs satisfaction.overall from the staff dimension, and no group "
        f"of campaign {no_staff.code} answers it."
    )


def test_a_draft_campaign_is_refused_as_a_years_feed(app) -> None:
    """A draft's answers are test answers, counted in no figure: it feeds no survey item."""
    units = [gen_unit("zwfw")]
    draft = gen_campaign(units, period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31))
    draft.draft = True
    db.session.flush()
    with pytest.raises(CycleRefused) as raised:
        open_cycle(_spec(units=units, campaign=draft))
    assert raised.value.part == "campaign:2024"
    assert raised.value.message() == (
        f"Campaign {draft.code} is a draft: it has only test answers, which count in no "
        "figure. Open it (on its set-up page) before it feeds a year of a cycle."
    )
    db.session.rollback()
    assert _count(Cycle) == 0 and _count(CycleCampaign) == 0


def test_an_approved_unit_set_replaces_the_individual_defaults_for_that_unit_only(app) -> None:
    cycle = open_cycle(_spec())
    evaluator = gen_user("evaluator")
    db.session.flush()
    library = load_directory(FRAMEWORKS)
    unit_set = framework_version(library.unit_sets["gov-service-centre"].version)
    zwfw, rmyy = sorted((link.unit for link in cycle.units), key=lambda u: u.code != "zwfw")
    with pytest.raises(ScorecardError, match="proposed for zwfw, not for unit rmyy"):
        approve_unit_set(cycle, rmyy, unit_set, evaluator)
    approve_unit_set(cycle, zwfw, unit_set, evaluator)
    scored = framework_for_unit(cycle, zwfw.id)
    default = framework_for_unit(cycle, rmyy.id)
    assert [i.id for i in scored.category("performance").items][:1] == ["gsc.online_rate"]
    assert not any(i.id.startswith("gsc.") for i in default.items)
    assert scored.versions == (cycle.framework_version.version, unit_set.version)


def test_cycle_add_command_opens_a_cycle_or_says_why_not(runner, app) -> None:
    units = [gen_unit("zwfw"), gen_unit("rmyy")]
    campaign = gen_campaign(
        units, period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31)
    )
    db.session.commit()
    args = [
        "survey",
        "cycle",
        "add",
        "c2024",
        "--name",
        "考评",
        "--framework",
        "provincial-institutions",
    ]
    args += ["--first-year", "2024", "--unit", "zwfw", "--unit", "rmyy"]
    args += ["--campaign", f"2024={campaign.code}", "--deadline", "2024:on_site=2025-03-31"]
    not_loaded = runner.invoke(args=args)
    assert not_loaded.exit_code == 1
    assert "run `flask survey framework load`" in not_loaded.output
    runner.invoke(args=["survey", "framework", "load"])
    wrong = runner.invoke(args=[*args[:-2], "--deadline", "2030:on_site=2031-01-01"])
    assert wrong.exit_code == 1
    assert "2030 is not a year of the cycle (2024 to 2026)." in wrong.output
    assert _count(Cycle) == 0
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "opened cycle c2024 (2024-2026)" in done.output


def test_cycle_add_command_refuses_a_draft_campaign_and_changes_nothing(runner, app) -> None:
    units = [gen_unit("zwfw")]
    draft = gen_campaign(units, period_start=dt.date(2024, 1, 1), period_end=dt.date(2026, 12, 31))
    draft.draft = True
    db.session.commit()
    runner.invoke(args=["survey", "framework", "load"])
    events = _count(AuditEvent)
    refused = runner.invoke(
        args=[
            *("survey", "cycle", "add", "c2024", "--name", "考评"),
            *("--framework", "provincial-institutions", "--first-year", "2024"),
            *("--unit", "zwfw", "--campaign", f"2025={draft.code}"),
        ]
    )
    assert refused.exit_code == 1
    assert f"Campaign {draft.code} is a draft" in refused.output
    assert "Open it (on its set-up page)" in refused.output
    assert _count(Cycle) == 0 and _count(CycleCampaign) == 0 and _count(AuditEvent) == events


def test_cycle_add_command_names_a_framework_file_that_does_not_load(runner, app, tmp_path) -> None:
    (tmp_path / "units").mkdir()
    (tmp_path / "broken.toml").write_text('id = "broken"\ntitle = [', encoding="utf-8")
    app.config["FRAMEWORKS_DIR"] = str(tmp_path)
    gen_unit("zwfw")
    db.session.commit()
    result = runner.invoke(
        args=[
            *("survey", "cycle", "add", "c2024", "--name", "考评"),
            *("--framework", "broken", "--first-year", "2024", "--unit", "zwfw"),
        ]
    )
    assert result.exit_code == 1
    assert "broken.toml" in result.output and "not valid TOML" in result.output
    assert "flask survey framework check" in result.output
    assert _count(Cycle) == 0
