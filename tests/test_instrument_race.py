"""Two workers serving their first card at once store the instrument's version once, both succeed.

The second one's insert meets the first one's uncommitted row: it must wait for
it and use it, not fail on the unique version (a 500 in 4 of 9 load runs).
"""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from survey.extensions import db
from survey.instruments.store import current_instruments, current_version
from survey.models import InstrumentVersion

CARD = "post-service-card"


def test_two_first_requests_at_once_store_one_version_and_both_succeed(
    app: Flask, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("PostgreSQL (TEST_DATABASE_URL): SQLite lets one writer in at a time")
    assert current_instruments()[CARD]
    _instrument, first = current_version(CARD)  # inserted, not committed: the first worker
    outcome: dict[str, object] = {}

    def second_worker() -> None:
        with app.app_context():
            try:
                _i, row = current_version(CARD)
                outcome["id"] = row.id
                db.session.commit()
            except Exception as error:  # the 500 of the issue
                outcome["error"] = error
                db.session.rollback()

    thread = threading.Thread(target=second_worker)
    thread.start()
    time.sleep(0.5)  # the second worker now waits on the first one's row
    assert thread.is_alive()
    db.session.commit()
    thread.join(timeout=10)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["id"] == first.id
    count = db.session.execute(
        db.select(db.func.count()).select_from(InstrumentVersion).where(
            InstrumentVersion.instrument_id == CARD
        )
    ).scalar_one()
    assert count == 1


def test_the_second_request_stores_nothing_new(app: Flask) -> None:
    _instrument, first = current_version(CARD)
    db.session.commit()
    _instrument, again = current_version(CARD)
    assert again.id == first.id
