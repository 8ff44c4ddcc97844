"""A database connection killed in the middle of a submission loses no respondent.

PostgreSQL's pg_terminate_backend ends the request's own connection just as it
stores the response: the submission runs once more on a new connection (it is
idempotent), and when that one is killed too the respondent gets a page in their
language saying nothing was saved and the same button can be pressed again; so
too when the retry's new connection is refused (the server restarting). A
connection lost after the view has answered changes nothing for the reader. The
last two were bare 500s in bench/bench_load.py's runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from respondent import CARD, counts, form_data, instrument, open_card, point_campaign, valid_answers

from survey.extensions import db


@contextmanager
def when_storing(times: int, act: Callable[[sa.Engine, int], None]) -> Iterator[list[int]]:
    """``act(admin, backend_pid)`` just before each of the first ``times`` inserts of a response.

    ``admin`` is a connection pool of its own to the server's "postgres" database.
    """
    done: list[int] = []
    admin = _admin()

    def hook(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # A card's row alone, or (PostgreSQL) with its answers and scores in one statement.
        head = statement.lstrip().upper()
        storing = head.startswith(("INSERT INTO RESPONSE", "WITH PARENT AS (INSERT INTO RESPONSE"))
        if len(done) >= times or not storing:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        act(admin, pid)
        done.append(pid)

    sa.event.listen(db.engine, "before_cursor_execute", hook)
    try:
        yield done
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", hook)
        admin.dispose()


def _admin() -> sa.Engine:
    return sa.create_engine(db.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _terminate(admin: sa.Engine, pid: int) -> None:
    with admin.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def lose_own_connection() -> None:
    """The server ends the connection of this request's session (its transaction with it)."""
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    admin = _admin()
    _terminate(admin, pid)
    admin.dispose()


def killed_when_storing(times: int):  # type: ignore[no-untyped-def]
    """Terminate the connection that is about to insert a response, ``times`` times."""
    return when_storing(times, _terminate)


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
        lose_own_connection()
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


def _alone(app: Flask, method: str, url: str, **kw):  # type: ignore[no-untyped-def]
    """The request in a thread of its own, as a worker serves it: its own app context and
    session, removed at the end of the request (the tests' context would keep them)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(app.test_client().open(url, method=method, **kw))
        except BaseException as error:  # reported by the test
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert outcome, "the request did not finish"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_a_connection_lost_after_the_page_was_made_still_serves_the_page(
    app: Flask, postgres_only: None
) -> None:
    """Killed between the view's last query and the end of the request: the rollback at the
    end fails, and that must not turn the finished page into Werkzeug's bare 500."""

    def read_then_lose() -> str:
        lose_own_connection()  # after the view's queries, before the session's end
        return "served"

    app.add_url_rule("/read-then-lose", "read_then_lose", read_then_lose)
    page = _alone(app, "GET", "/read-then-lose")
    assert page.status_code == 200 and page.get_data(as_text=True) == "served"
    _campaign, point = point_campaign()
    assert _alone(app, "GET", f"/p/{point.code}").status_code == 200  # the next one too


@contextmanager
def restarting_when_storing() -> Iterator[list[int]]:
    """PostgreSQL going down as a response is stored: every connection of the app ended and
    new ones refused (as while it restarts), until the block ends."""
    database = db.engine.url.database

    def allow(admin: sa.Engine, flag: bool) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {flag}'))

    def go_down(admin: sa.Engine, _pid: int) -> None:
        allow(admin, False)
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            )

    with when_storing(1, go_down) as ended:
        try:
            yield ended
        finally:
            admin = _admin()
            allow(admin, True)
            admin.dispose()


def test_a_database_that_refuses_the_retry_gets_the_press_again_page_not_a_500(
    rapp: Flask, postgres_only: None
) -> None:
    """The retry's new connection is refused (the server restarting): the respondent is told,
    in their language, that nothing was saved and the same button works again."""
    _campaign, point = point_campaign()
    client = rapp.test_client()
    url = f"/p/{point.code}"
    data = _card_form(client, url)
    with restarting_when_storing() as ended:
        page = client.post(url, data=data, headers={"Accept-Language": "zh-TW"})
    assert ended
    assert page.status_code == 503 and "Retry-After" in page.headers
    html = page.get_data(as_text=True)
    assert '<html lang="zh-Hant">' in html and "沒有儲存" in html, html
    again = client.post(url, data=data)
    assert again.status_code == 200
    db.session.rollback()
    assert counts()["response"] == 1


def test_a_pooled_connection_killed_while_idle_is_replaced_before_use(
    app: Flask, postgres_only: None
) -> None:
    """No pool_pre_ping on every request: a connection idle past the limit is pinged first.

    Without the ping, the first statement on a connection the server ended while
    it sat in the pool fails (the engine without it shows that); with it, the
    pool finds it dead at checkout and connects afresh.
    """
    from survey.web.connections import ping_when_idle

    admin = _admin()
    try:
        for pinged in (True, False):
            engine = sa.create_engine(db.engine.url, pool_size=1, max_overflow=0)
            if pinged:
                ping_when_idle(engine, 0.0)
            with engine.connect() as conn:
                pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            _terminate(admin, pid)
            _wait_until_gone(admin, pid)
            try:
                with engine.connect() as conn:
                    again = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
                assert pinged and again != pid
            except sa.exc.OperationalError:
                assert not pinged
            finally:
                engine.dispose()
    finally:
        admin.dispose()


def _wait_until_gone(admin: sa.Engine, pid: int) -> None:
    """pg_terminate_backend only signals the backend: wait (5 s at most) until it has ended."""
    import time

    with admin.connect() as conn:
        for _ in range(100):
            alive = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
            if not alive:
                return
            time.sleep(0.05)
