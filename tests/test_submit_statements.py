"""A card costs a bounded number of SQL statements: a regression in the submit path fails here.

Counted through SQLAlchemy's ``before_cursor_execute`` event, so the figure does
not depend on the machine's load. Before this work a QR card's GET took 9
statements (10 counted here) and its POST 16 to 19. Now a worker keeps the
point, its unit and its campaigns (survey.responses.point_cache) and the stored
instrument version, so the GET selects nothing once they are kept (one statement
when they are not); the POST sends only what storing a card needs: the card, its
answers and its scores (one executemany each), the burst rule's one count, and
the running summaries' one upsert (a card is stored as counting, with its scores
at hand: survey.results.running), 5 on SQLite and PostgreSQL.

The same statement repeated in a row (an executemany that a driver sends row by
row) is counted once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from factories import gen_invitation, gen_ticket
from flask import Flask
from respondent import CARD, form_data, instrument, point_campaign, scrape, valid_answers

from survey.extensions import db

# The budget (#15): at most 2 statements per GET and 8 per POST of a card.
CARD_GET = 2
CARD_POST = 8
# A ticket's POST also claims the ticket (one UPDATE, the guard against two devices).
TICKET_POST = CARD_POST + 1
# A personal link also reads its draft and locks it to submit, and marks the invitation done.
INVITATION_GET = 3
INVITATION_POST = 12


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if seen and seen[-1] == statement and statement.lstrip().upper().startswith("INSERT"):
            return  # a row-by-row INSERT (SQLite) is one executemany on PostgreSQL
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _fresh() -> None:
    """As between two requests of a worker: nothing of the last one left in the session."""
    db.session.commit()
    db.session.expunge_all()


def _card_round(client, url: str, **extra: str) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    _fresh()
    with statements() as on_get:
        page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    data = form_data(valid_answers(instrument(CARD)), scrape(html, "submission_key"), **extra)
    if "page" in extra:
        found = re.search(r'name="page"[^>]*value="([^"]+)"', html)
        assert found is not None
        data["page"] = found.group(1)
    _fresh()
    with statements() as on_post:
        done = client.post(url, data=data)
    assert done.status_code == 200, done.get_data(as_text=True)
    listing = "\n".join(" ".join(s.split())[:120] for s in on_get + ["--"] + on_post)
    return len(on_get), len(on_post), listing


def test_a_qr_card_costs_at_most_the_budget_of_statements(rapp: Flask) -> None:
    _campaign, point = point_campaign()
    client = rapp.test_client()
    url = f"/p/{point.code}"
    _card_round(client, url)  # the first card stores the instrument version
    get, post, listing = _card_round(client, url)
    assert get <= CARD_GET, listing
    assert post <= CARD_POST, listing


def test_a_ticket_card_costs_at_most_the_budget_of_statements(rapp: Flask) -> None:
    campaign, point = point_campaign()
    tokens = [gen_ticket(campaign, point)[1] for _ in range(2)]
    db.session.commit()
    client = rapp.test_client()
    _card_round(client, f"/t/{tokens[0]}")
    get, post, listing = _card_round(client, f"/t/{tokens[1]}")
    assert get <= CARD_GET, listing
    assert post <= TICKET_POST, listing


def test_a_personal_link_of_one_page_costs_at_most_its_budget(rapp: Flask) -> None:
    campaign, _point = point_campaign()
    links = [gen_invitation(campaign, "service_user", campaign.units[0])[1] for _ in range(2)]
    db.session.commit()
    client = rapp.test_client()
    _card_round(client, f"/i/{links[0]}", page="", action="submit")
    get, post, listing = _card_round(client, f"/i/{links[1]}", page="", action="submit")
    assert get <= INVITATION_GET, listing
    assert post <= INVITATION_POST, listing


def test_the_one_statement_ticket_check_tells_each_tickets_unit_apart(rapp: Flask) -> None:
    """A ticket of a unit taken out of the campaign is refused; another unit's still opens."""
    from factories import gen_service_point, gen_unit

    campaign, point = point_campaign()
    other_unit = gen_unit()
    other_point = gen_service_point(other_unit)
    campaign.units.append(other_unit)
    db.session.flush()
    _kept, kept_token = gen_ticket(campaign, point)
    _dropped, dropped_token = gen_ticket(campaign, other_point)
    campaign.units.remove(other_unit)
    db.session.commit()
    client = rapp.test_client()
    assert client.get(f"/t/{kept_token}").status_code == 200
    assert client.get(f"/t/{dropped_token}").status_code == 404


def test_rate_limited_cards_start_no_timer_thread(rapp: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """limits' memory storage started a Timer thread per counted POST; ours sweeps inline."""
    import threading

    started: list[threading.Timer] = []
    original = threading.Timer.start

    def start(timer: threading.Timer) -> None:
        started.append(timer)
        original(timer)

    monkeypatch.setattr(threading.Timer, "start", start)
    _campaign, point = point_campaign()
    client = rapp.test_client()
    url = f"/p/{point.code}"
    for _ in range(3):
        _card_round(client, url)
    assert started == []
