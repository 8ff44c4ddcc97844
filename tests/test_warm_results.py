"""Results worked out before the workers start (survey.results.warm, wsgi.py, #15).

A fresh worker's first results page worked out every table's disclosure control
(8 s at 1,000 units). Warmed in gunicorn's master (``--preload``), the first page
works out none: counted here by the tables the page protects.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from factories import gen_campaign, gen_response, gen_unit, gen_user, login

from survey.extensions import db
from survey.results import protection
from survey.results.warm import warm_results

ROOT = Path(__file__).resolve().parent.parent
YEARS = {"period_start": dt.date(2025, 1, 1), "period_end": dt.date(2026, 12, 31)}


def _campaign_with_cards():  # type: ignore[no-untyped-def]
    units = [gen_unit() for _ in range(3)]
    campaign = gen_campaign(units, **YEARS)
    for n, unit in enumerate(units):
        for day in range(1, 8):
            gen_response(
                campaign,
                unit=unit,
                answers={"overall": "satisfied" if (n + day) % 3 else "dissatisfied"},
                submitted_at=dt.datetime(2026, 3, day, 9),
            )
    db.session.commit()
    return campaign


def _tables_protected_by_the_page(app, client, campaign, monkeypatch) -> int:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    protect = protection._protect

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(args)
        return protect(*args, **kwargs)

    monkeypatch.setattr(protection, "_protect", counted)
    page = client.get(f"/evaluate/campaign/{campaign.id}")
    assert page.status_code == 200, page.get_data(as_text=True)
    monkeypatch.setattr(protection, "_protect", protect)
    return len(seen)


def test_a_warmed_campaign_s_first_results_page_works_out_no_table(app, client, monkeypatch):
    campaign = _campaign_with_cards()
    login(client, gen_user("evaluator"))
    app.extensions.pop("survey.protected_tables", None)  # a fresh worker: nothing kept
    assert _tables_protected_by_the_page(app, client, campaign, monkeypatch) > 0
    app.extensions.pop("survey.protected_tables", None)
    assert warm_results(1) == [campaign.code]
    db.session.rollback()
    assert _tables_protected_by_the_page(app, client, campaign, monkeypatch) == 0


def test_drafts_and_none_asked_for_are_not_warmed(app):
    campaign = _campaign_with_cards()
    assert warm_results(0) == []
    campaign.draft = True
    db.session.commit()
    assert warm_results(5) == []


def test_wsgi_warms_what_it_is_asked_to_in_the_process_that_loads_it(app):
    """As gunicorn --preload does: wsgi.py loaded once, the campaign's tables kept there."""
    _campaign_with_cards()
    env = dict(
        os.environ,
        DATABASE_URL=str(db.engine.url.render_as_string(hide_password=False)),
        SECRET_KEY="warm-test-secret-0123456789",
        SURVEY_WARM_RESULTS="2",
    )
    kept = "import wsgi; print(len(wsgi.app.extensions['survey.protected_tables'].tables))"
    done = subprocess.run(
        [sys.executable, "-c", kept],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().splitlines()[-1]) > 0


def test_a_database_it_cannot_read_does_not_stop_the_app_from_starting(tmp_path):
    """A head start only: on a database not migrated yet, wsgi.py logs and serves."""
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path}/not-migrated.sqlite",
        SECRET_KEY="warm-test-secret-0123456789",
        SURVEY_WARM_RESULTS="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "results not worked out" in done.stderr
