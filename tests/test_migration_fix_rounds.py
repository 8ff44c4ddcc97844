"""Migration 85e36721a6c5 (a fix's renewed rounds) upgrades and downgrades with data.

Every fix stored before it is its first round; a renewed round is tied to the
round it follows. Downgrading deletes the renewed rounds (the old schema has
one row per fix) and leaves the first round as it was looked back, closed.
Runs on a database of its own (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), so the session's migrated database is not touched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import conftest
import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import downgrade, upgrade
from scorecard_support import use_mini_framework

from survey import create_app
from survey.extensions import db
from survey.models import Cycle, Opinion, RequiredFix
from survey.scorecard.cycles import CycleSpec, open_cycle
from survey.scorecard.fixes import look_back
from survey.scorecard.store import current_library, framework_version, register_versions

REVISION = "85e36721a6c5"
PREVIOUS = "a7d3c5e1f9b2"
NOW = dt.datetime(2026, 4, 15, 2, 0, tzinfo=dt.UTC)


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def _constraint_names(table: str) -> set[str]:
    inspector = sa.inspect(db.engine)
    names = {c["name"] for c in inspector.get_check_constraints(table)}
    names |= {c["name"] for c in inspector.get_unique_constraints(table)}
    names |= {c["name"] for c in inspector.get_foreign_keys(table)}
    return names


def _rows() -> list[tuple]:
    with db.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text("SELECT position, outcome, report FROM required_fix ORDER BY id")
            )
        ]


def _issued_opinion(app, folder: Path) -> Opinion:  # type: ignore[no-untyped-def]
    """An issued opinion of a one-unit cycle, with two fixes (no survey data needed)."""
    from factories import gen_campaign, gen_unit

    use_mini_framework(app, folder)
    unit = gen_unit("a", "甲单位")
    campaign = gen_campaign(
        [unit],
        groups={"service_user": {}},
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    db.session.flush()
    register_versions()
    row = framework_version(current_library().frameworks["mini"].version)
    assert row is not None
    spec = CycleSpec("mini", "Mini", row, 2024, [unit], years=2, campaigns={2025: campaign})
    cycle: Cycle = open_cycle(spec)
    opinion = Opinion(cycle_id=cycle.id, unit_id=unit.id, year=2025, state="issued", content="{}")
    db.session.add(opinion)
    db.session.flush()
    for position in (1, 2):
        db.session.add(
            RequiredFix(
                opinion_id=opinion.id,
                position=position,
                text=f"整改{position}",
                due=dt.date(2026, 3, 31),
                report="已整改一部分" if position == 1 else None,
            )
        )
    db.session.commit()
    return opinion


def test_renewed_rounds_go_on_a_downgrade_and_first_rounds_stay(scratch_url, tmp_path):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context(), time_machine.travel(NOW, tick=False):
        upgrade()
        assert {
            "uq_required_fix_opinion_id_position_round",
            "uq_required_fix_follows_id",
            "fk_required_fix_follows_id_required_fix",
            "ck_required_fix_round_follows",
        } <= _constraint_names("required_fix")
        opinion = _issued_opinion(app, tmp_path / "frameworks")
        first = opinion.fixes[0]
        second = look_back(first, "仍未整改完", "not_rectified", None, next_due="2026-06-30")
        assert second is not None
        third = look_back(second, "仍有缺漏", "partly", None, next_due="2026-08-31")
        assert third is not None
        db.session.commit()
        # The database itself refuses a later round that follows nothing, or a second
        # round after the same one.
        for bad in (
            {"round": 2, "follows_id": None},
            {"round": 3, "follows_id": first.id},
        ):
            db.session.add(
                RequiredFix(opinion_id=opinion.id, position=2, text="x", due=NOW.date(), **bad)
            )
            with pytest.raises(sa.exc.IntegrityError):
                db.session.commit()
            db.session.rollback()
        db.session.remove()

        downgrade(revision=PREVIOUS)
        assert not {"round", "follows_id"} & _columns("required_fix")
        names = _constraint_names("required_fix")
        assert "uq_required_fix_opinion_id_position" in names
        assert "ck_required_fix_outcome_known" in names
        assert not {"uq_required_fix_follows_id", "ck_required_fix_round_follows"} & names
        # One row per fix again: the first round closed by its look-back, as before.
        assert _rows() == [(1, "not_rectified", "已整改一部分"), (2, None, None)]

        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            rounds = conn.execute(
                sa.text("SELECT round, follows_id FROM required_fix ORDER BY id")
            ).all()
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == REVISION
        assert [tuple(r) for r in rounds] == [(1, None), (1, None)]
        db.session.remove()
        db.engine.dispose()
