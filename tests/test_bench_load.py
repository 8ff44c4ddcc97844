"""The load run's judge (bench/load_account.py), on the app's real pages and made-up accounts.

The run itself (bench/bench_load.py: gunicorn, killed workers and connections)
is a benchmark, not a test; what decides its verdict is checked here: which
page a respondent got, and the clients' account against the stored responses.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from factories import gen_invitation
from flask import Flask
from respondent import CARD, form_data, instrument, point_campaign, valid_answers
from werkzeug.exceptions import InternalServerError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
account = importlib.import_module("load_account")
Reply, Submission, StoredRow = account.Reply, account.Submission, account.StoredRow

CATALOGS = {"zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant", "en": "en"}


@pytest.fixture
def markers(app: Flask) -> dict[str, object]:
    return account.read_markers(app, CATALOGS)


def _reply(page) -> object:  # type: ignore[no-untyped-def]
    return Reply(page.status_code, page.get_data(as_text=True), page.headers.get("Location", ""))


def test_a_card_its_fields_and_its_thank_you_page_as_a_browser_gets_them(
    app: Flask, markers: dict[str, object]
) -> None:
    _campaign, point = point_campaign()
    client = app.test_client()
    url = f"/p/{point.code}"
    card = client.get(url, headers={"Accept-Language": "en"})
    reply = _reply(card)
    assert account.classify(reply, "en", markers) == "page"
    hidden = account.hidden_fields(reply.body)
    assert set(hidden) == {"csrf_token", "submission_key"} and all(hidden.values())
    assert account.submit_action(reply.body) == "submit"
    data = form_data(valid_answers(instrument(CARD)), hidden["submission_key"])
    data.update(csrf_token=hidden["csrf_token"], action="submit")
    thanks = _reply(client.post(url, data=data, headers={"Accept-Language": "en"}))
    assert account.classify(thanks, "en", markers) == "thanks"
    assert account.classify(thanks, "zh-Hans", markers) == "page"  # not its language


def test_an_invitation_page_carries_its_page_and_a_next_button(
    app: Flask, markers: dict[str, object]
) -> None:
    campaign, _point = point_campaign()
    _invitation, token = gen_invitation(campaign, unit=campaign.units[0])
    page = _reply(app.test_client().get(f"/i/{token}", headers={"Accept-Language": "zh-TW"}))
    assert account.classify(page, "zh-Hant", markers) == "page"
    assert (
        account.hidden_fields(page.body)["page"] == instrument("stakeholder-evaluation").pages[0].id
    )
    assert account.submit_action(page.body) == "next"


def test_the_apps_500_page_is_translated_only_in_the_language_asked_for(
    app: Flask, markers: dict[str, object]
) -> None:
    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/p/broken/now", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = _reply(app.test_client().get("/p/broken/now", headers={"Accept-Language": "zh-TW"}))
    assert page.status == 500
    assert account.classify(page, "zh-Hant", markers) == "translated_5xx"
    assert account.classify(page, "en", markers) == "untranslated_5xx"
    bare = Reply(500, InternalServerError().get_body())
    assert account.classify(bare, "en", markers) == "untranslated_5xx"


def test_broken_connections_redirects_and_refusals(markers: dict[str, object]) -> None:
    assert account.classify(Reply(None), "en", markers) == "dropped"
    assert account.classify(Reply(303, "", "/i/x?page=p2"), "en", markers) == "redirect"
    assert account.classify(Reply(400, "<h1>Form expired</h1>"), "en", markers) == "refused"
    assert account.classify(Reply(502, "<h1>Bad Gateway</h1>"), "en", markers) == (
        "untranslated_5xx"
    )


def _subs() -> list[object]:
    return [
        Submission("qr", "en", keys=["k1"], outcome="accepted"),
        Submission("ticket", "zh-Hans", ticket_id=7, keys=["k2"], outcome="accepted"),
        Submission("invitation", "zh-Hant", invitation_id=3, keys=["k3", "k4"], outcome="accepted"),
    ]


def test_every_thanked_submission_stored_once_is_a_clean_account() -> None:
    rows = [
        StoredRow(1, "k1", None, None),
        StoredRow(2, "k2", 7, None),
        StoredRow(3, "k4", None, 3),
    ]
    verdict = account.compare(_subs(), rows, 0)
    assert (verdict.accepted, verdict.stored, verdict.failures) == (3, 3, [])


def test_a_lost_submission_a_duplicate_and_a_stranger_are_each_named() -> None:
    lost = account.compare(
        _subs(), [StoredRow(1, "k1", None, None), StoredRow(2, "k2", 7, None)], 0
    )
    assert lost.lost == 1 and "accepted 3 != stored 2" in lost.failures
    rows = [
        StoredRow(1, "k1", None, None),
        StoredRow(2, "k2", 7, None),
        StoredRow(3, "k3", None, 3),
        StoredRow(4, "other", 7, None),  # the same ticket again, under another key
        StoredRow(5, "nobody", None, None),
    ]
    verdict = account.compare(_subs(), rows, 0)
    assert (verdict.duplicates, verdict.unexplained, verdict.lost) == (1, 1, 0)
    assert verdict.failures == ["accepted 3 != stored 5", "unexplained 1", "duplicates 1"]


def test_stored_without_a_thank_you_is_unexplained_and_5xx_without_translation_fails() -> None:
    subs = [
        Submission("qr", "en", keys=["k1"], outcome="refused"),
        Submission("qr", "en", keys=["k2"], outcome="abandoned"),
        Submission("qr", "en", keys=["k3"], outcome="refused"),
    ]
    rows = [StoredRow(1, "k1", None, None), StoredRow(2, "k2", None, None)]
    verdict = account.compare(subs, rows, 2)
    assert (verdict.accepted, verdict.unexplained, verdict.refused_but_stored) == (0, 2, 1)
    assert verdict.failures == [
        "accepted 0 != stored 2",
        "unexplained 2",
        "refused 2",
        "refused_but_stored 1",
        "abandoned 1",
        "untranslated_5xx 2",
    ]


def test_the_log_summary_counts_what_the_app_logged() -> None:
    log = "\n".join(
        [
            "[x] WARNING in db_retry: database connection lost during POST /p/a; "
            "running it once more",
            "[x] ERROR in db_retry: database connection lost on POST /p/a",
            "[x] WARNING in db_retry: database connection lost at the end of a request",
            "[x] ERROR in app: Exception on /t/abcd… [POST]",
            "[x] [1] [ERROR] Error handling request /p/a",
        ]
    )
    assert account.log_summary(log) == (
        "gunicorn's log: 1 submissions run again on a new connection, 1 press-again pages, "
        "1 connections lost after the page was made, 1 500s, 1 errors outside the app"
    )
