"""A database connection killed in the middle of a submission loses no respondent.

PostgreSQL's pg_terminate_backend ends the request's own connection just as it
stores the response: the submission runs once more on a new connection (it is
idempotent), and when that one is killed too the respondent gets a page in their
language saying nothing was saved and the same button can be pressed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from respondent import CARD, counts, form_data, instrument, open_card, point_campaign, valid_answers

from survey.extensions import db


@contextmanager
def killed_when_storing(times: int) -> Iterator[list[int]]:
    """Terminate the connection that is about to insert a response, ``times`` times."""
    killed: list[int] = []
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")

    def kill(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        storing = statement.lstrip().upper().startswith("INSERT INTO RESPONSE")
        if len(killed) >= times or not storing:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with admin.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killed.append(pid)

    sa.event.listen(db.engine, "before_cursor_execute", kill)
    try:
        yield killed
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", kill)
        admin.dispose()


@pytest.fixture
def postgres_only(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("PostgreSQL (TEST_DATABASE_URL): the test kills the server's backend")


def _card_form(client, url: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    key = open_card(client, url)
    return form_data(valid_answers(instrument(CARD)), key)


def test_a_card_whose_connection_is_killed_is_stored_once_by_the_retry(
    rapp: Flask, postgres_only: None
) -> None:
    _campaign, point = point_campaign()
    client = rapp.test_client()
    url = f"/p/{point.code}"
    data = _card_form(client, url)
    with killed_when_storing(1) as killed:
        page = client.post(url, data=data)
    assert len(killed) == 1
    assert page.status_code == 200, page.get_data(as_text=True)
    db.session.rollback()
    assert counts()["response"] == 1


def test_killed_twice_the_respondent_is_told_to_press_again_and_that_works(
    rapp: Flask, postgres_only: None
) -> None:
    _campaign, point = point_campaign()
    client = rapp.test_client()
    url = f"/p/{point.code}"
    data = _card_form(client, url)
    with killed_when_storing(2) as killed:
        page = client.post(url, data=data, headers={"Accept-Language": "en"})
    assert len(killed) == 2
    assert page.status_code == 503 and "Retry-After" in page.headers
    html = page.get_data(as_text=True)
    assert "nothing was saved" in html and "press the same button again" in html
    assert "staff.css" not in html
    db.session.rollback()
    assert counts()["response"] == 0
    again = client.post(url, data=data)  # the same button, the same form
    assert again.status_code == 200
    db.session.rollback()
    assert counts()["response"] == 1


def test_a_lost_connection_on_a_staff_page_and_the_api_say_so_in_their_own_form(
    app: Flask, postgres_only: None
) -> None:
    from factories import gen_user, login

    def lose_connection() -> str:
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    app.add_url_rule("/admin/lost/now", "lost_staff", lose_connection)
    app.add_url_rule("/api/v1/lost/now", "lost_api", lose_connection)
    client = app.test_client()
    login(client, gen_user("admin"))
    staff = client.get("/admin/lost/now", headers={"Accept-Language": "zh-CN"})
    assert staff.status_code == 503 and "staff.css" in staff.get_data(as_text=True)
    assert "没有保存" in staff.get_data(as_text=True)
    api = client.get("/api/v1/lost/now", headers={"Accept-Language": "en"})
    assert api.status_code == 503 and "nothing was saved" in api.get_json()["error"]
