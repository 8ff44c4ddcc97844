"""`flask survey demo`: the demo data load once, are reproducible, and are scored for real."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from survey.demo.data import DEMO_CAMPAIGN
from survey.demo.loader import load_demo
from survey.extensions import db
from survey.instruments.store import instrument_of
from survey.models import (
    GROUP_CODES,
    Answer,
    CallbackRequest,
    Campaign,
    Cycle,
    Group,
    Invitation,
    ItemScore,
    Opinion,
    ReportComment,
    RequiredFix,
    Response,
    ResponseScore,
    ScoreEvent,
    Ticket,
    Unit,
    campaign_state,
)
from survey.responses.scoring import indicator_scores

ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _table_counts() -> dict[str, int]:
    models = (
        Unit,
        Group,
        Campaign,
        Invitation,
        Ticket,
        Response,
        Answer,
        ResponseScore,
        ReportComment,
        Cycle,
        ItemScore,
        ScoreEvent,
        Opinion,
        RequiredFix,
    )
    return {model.__name__: _count(model) for model in models}


# The demo is made around "now"; these tests pin it to a weekday in mid-year,
# so what they check does not depend on the day the suite runs (10:00 in Beijing).
DEMO_NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo_output(runner: FlaskCliRunner) -> Iterator[str]:
    with time_machine.travel(DEMO_NOW, tick=True):
        result = runner.invoke(args=["survey", "demo"], env=ENGLISH)
        assert result.exit_code == 0, result.output
        assert "Demo data loaded" in result.output
        yield result.output


def test_demo_covers_every_group_unit_and_year(demo_output: str) -> None:
    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one()
    assert campaign_state(campaign) is None  # open now
    assert (campaign.period_end - campaign.period_start).days >= 3 * 365 - 1
    assert {g.group.code for g in campaign.groups} == set(GROUP_CODES)
    assert campaign.point_group is not None and campaign.point_group.code == "service_user"
    weights = [g.weight for g in campaign.groups]
    assert all(w is not None and w > 0 for w in weights)
    assert sum(w or 0 for w in weights) == pytest.approx(1.0)
    assert {u.code: len(u.service_points) for u in campaign.units} == {
        "zwfw": 3,
        "rmyy": 2,
        "nky": 1,
    }

    rows = db.session.execute(
        select(Group.code, Unit.code, Response.channel, Response.submitted_at)
        .join(Group, Group.id == Response.group_id)
        .join(Unit, Unit.id == Response.unit_id)
    ).all()
    assert 300 <= len(rows) <= 2000
    assert {g for g, _u, _c, _t in rows} == set(GROUP_CODES)
    assert {u for _g, u, _c, _t in rows} == {"zwfw", "rmyy", "nky"}
    assert {"qr", "ticket", "kiosk", "link", "sms", "phone"} <= {c for _g, _u, c, _t in rows}
    assert len({t.year for _g, _u, _c, t in rows}) >= 3
    assert all(t is not None and campaign.period_start <= t.date() for _g, _u, _c, t in rows)
    for code in GROUP_CODES:  # every group's responses reach across the cycle
        assert len({t.year for g, _u, _c, t in rows if g == code}) >= 3, code


def test_demo_scores_are_the_apps_own(demo_output: str) -> None:
    responses = db.session.execute(select(Response)).scalars().all()
    assert _count(ResponseScore) > 0
    scored_groups: set[str] = set()
    for response in responses:
        instrument = instrument_of(response.instrument_version)
        for answer in response.answers:
            assert answer.score == instrument.question(answer.question_id).score_of(answer.value)
        expected = indicator_scores(instrument, {a.question_id: a.score for a in response.answers})
        stored = {s.indicator: s.score for s in response.scores}
        assert stored == pytest.approx(expected)
        for s in response.scores:
            assert s.satisfied == (s.score >= instrument.satisfied_at)
        if stored:
            scored_groups.add(response.group.code)
        if response.group.code == "service_user":
            assert "satisfaction.overall" in stored
    assert scored_groups == set(GROUP_CODES)


def test_demo_is_mostly_satisfied_units_differ_and_one_improves(demo_output: str) -> None:
    rows = db.session.execute(
        select(Unit.code, Response.submitted_at, ResponseScore.score, ResponseScore.satisfied)
        .join(Response, Response.unit_id == Unit.id)
        .join(ResponseScore, ResponseScore.response_id == Response.id)
        .where(ResponseScore.indicator == "satisfaction.overall")
    ).all()
    satisfied = sum(1 for *_x, ok in rows if ok) / len(rows)
    assert 0.7 < satisfied < 0.98  # mostly satisfied, and some bad reviews
    by_unit: dict[str, list[float]] = defaultdict(list)
    by_year: dict[tuple[str, int], list[float]] = defaultdict(list)
    for unit, at, score, _ok in rows:
        by_unit[unit].append(score)
        by_year[(unit, at.year)].append(score)
    means = {unit: sum(s) / len(s) for unit, s in by_unit.items()}
    assert means["zwfw"] - means["rmyy"] > 5
    years = sorted({year for _unit, year in by_year})
    first, last = by_year[("nky", years[0])], by_year[("nky", years[-1])]
    assert sum(last) / len(last) - sum(first) / len(first) > 10


def test_demo_comments_dont_knows_and_callbacks(demo_output: str) -> None:
    comments = db.session.execute(
        select(Answer.value).where(Answer.question_id == "comment", Answer.value.is_not(None))
    ).scalars()
    assert any("\u4e00" <= ch <= "\u9fff" for text in comments for ch in text)
    callbacks = db.session.execute(select(CallbackRequest)).scalars().all()
    assert callbacks
    for callback in callbacks:
        overall = db.session.execute(
            select(Answer.value).where(
                Answer.response_id == callback.response_id, Answer.question_id == "overall"
            )
        ).scalar_one()
        assert overall in ("dissatisfied", "very_dissatisfied")
        assert callback.phone.startswith("+86")
    assert not db.session.execute(
        select(Answer).where(Answer.question_id == "callback")
    ).first()  # a phone number is never an Answer

    # "Don't know" where a stakeholder questionnaire offers it: kept, but not scored.
    stakeholder = (
        db.session.execute(select(Response).join(Group).where(Group.code == "deputy"))
        .scalars()
        .first()
    )
    assert stakeholder is not None
    instrument = instrument_of(stakeholder.instrument_version)
    na_values = {(q.id, o.value) for q in instrument.questions for o in q.options if o.na}
    if na_values:
        answers = db.session.execute(
            select(Answer.question_id, Answer.value, Answer.score)
            .join(Response)
            .join(Group)
            .where(Group.code.not_in(["service_user", "public"]))
        ).all()
        dont_know = [a for a in answers if (a.question_id, a.value) in na_values]
        assert dont_know and all(a.score is None for a in dont_know)


def test_demo_invitations_and_tickets_are_linked(demo_output: str) -> None:
    completed = (
        db.session.execute(select(Invitation).where(Invitation.status == "completed"))
        .scalars()
        .all()
    )
    assert completed
    for invitation in completed:
        response = db.session.execute(
            select(Response).where(Response.invitation_id == invitation.id)
        ).scalar_one()
        assert (response.group_id, response.unit_id, response.channel) == (
            invitation.group_id,
            invitation.unit_id,
            invitation.channel,
        )
        assert invitation.contact is not None and invitation.contact.phone
    pending = db.session.execute(
        select(func.count(Invitation.id)).where(Invitation.status == "pending")
    ).scalar_one()
    assert pending > 0
    ticket_responses = (
        db.session.execute(select(Response).where(Response.channel == "ticket")).scalars().all()
    )
    assert ticket_responses and all(r.ticket_id is not None for r in ticket_responses)
    used = db.session.execute(select(Ticket).where(Ticket.used_at.is_not(None))).scalars().all()
    assert len(used) == len(ticket_responses)


def test_demo_urls_open(demo_output: str, client: FlaskClient) -> None:
    urls = [line.split(": ", 1)[1] for line in demo_output.splitlines() if "://" in line]
    kinds = {urlsplit(url).path.split("/")[1] for url in urls}
    assert kinds == {"p", "k", "t", "i"}
    for url in urls:
        assert client.get(urlsplit(url).path).status_code == 200, url


def test_demo_is_idempotent(demo_output: str, runner: FlaskCliRunner) -> None:
    before = _table_counts()
    result = runner.invoke(args=["survey", "demo"], env=ENGLISH)
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output
    assert "/p/zwfw-01" in result.output
    assert _table_counts() == before


def _fingerprint() -> list[tuple]:
    rows = db.session.execute(
        select(
            Unit.code,
            Group.code,
            Response.channel,
            Response.submitted_at,
            Response.language,
            Answer.question_id,
            Answer.value,
            Answer.score,
        )
        .join(Unit, Unit.id == Response.unit_id)
        .join(Group, Group.id == Response.group_id)
        .join(Answer, Answer.response_id == Response.id)
    ).all()
    return sorted(tuple(row) for row in rows)


def test_demo_is_reproducible(app: Flask) -> None:
    import datetime as dt

    now = dt.datetime(2026, 6, 15, 4, 0)
    load_demo(now=now)
    db.session.commit()
    first = _fingerprint()
    assert first
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    db.session.expire_all()
    load_demo(now=now)
    db.session.commit()
    assert _fingerprint() == first
    years = {row[3].year for row in first}
    assert years == {2024, 2025, 2026}


def test_demo_accounts_sign_in_and_are_made_only_once(
    demo_output: str, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    from factories import login

    from survey.demo.extras import DEMO_PASSWORD
    from survey.models import User

    assert f"password {DEMO_PASSWORD}" in demo_output
    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    assert {u.role for u in users.values()} == {
        "admin",
        "evaluator",
        "operator",
        "handler",
        "liaison",
    }
    assert users["handler"].unit_id is not None and users["liaison"].unit_id is not None
    login(client, users["evaluator"], DEMO_PASSWORD)
    again = runner.invoke(args=["survey", "demo"], env=ENGLISH)
    assert "password" not in again.output
    assert len(db.session.execute(select(User)).all()) == 6


def test_demo_has_a_call_queue_the_operator_can_work(demo_output: str) -> None:
    from survey.channels.phone import calling_hours, claim_next, queue_counts
    from survey.demo.extras import DEMO_CALLS_PER_UNIT
    from survey.models import User, utcnow

    campaign = db.session.execute(select(Campaign)).scalars().first()
    counts = queue_counts(campaign)
    assert counts["due"] == DEMO_CALLS_PER_UNIT * len(campaign.units)
    assert f"{counts['due']}" in demo_output
    # Real calling hours, not around the clock: the next time calls are allowed.
    assert (campaign.call_from, campaign.call_until) == ("09:00", "20:00")
    allowed = calling_hours(campaign).next_call(utcnow(), spread=False)
    assert allowed is not None
    operator = db.session.execute(select(User).where(User.role == "operator")).scalar_one()
    case = claim_next(campaign, operator, now=allowed)
    assert case is not None and case.invitation.contact.phone.startswith("+86137")


def test_demo_reports_have_selected_comments(demo_output: str, client: FlaskClient) -> None:
    from factories import gen_user, login

    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one()
    login(client, gen_user("evaluator"))
    for unit in campaign.units:
        page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}/report?lang=en").text
        assert page.count("<blockquote>") == 3, unit.code
    assert _count(ReportComment) == 3 * len(campaign.units)


def test_the_demo_handler_has_open_bad_reviews_with_a_number_to_call(
    demo_output: str, client: FlaskClient
) -> None:
    import re

    from factories import login

    from survey.demo.extras import DEMO_PASSWORD
    from survey.models import FollowUpCase, User

    handler = db.session.execute(select(User).where(User.username == "handler")).scalar_one()
    open_cases = (
        db.session.execute(
            select(FollowUpCase).where(
                FollowUpCase.unit_id == handler.unit_id, FollowUpCase.status == "open"
            )
        )
        .scalars()
        .all()
    )
    assert open_cases
    login(client, handler, DEMO_PASSWORD)
    listing = client.get("/evaluate/follow-up?lang=en&status=open").text
    ids = re.findall(r'href="/evaluate/follow-up/(\d+)', listing)
    assert ids
    pages = [client.get(f"/evaluate/follow-up/{i}?lang=en").text for i in ids]
    assert any("asked to be called back" in page for page in pages)


# New Year's Day, the day after a long holiday, a Sunday, a leap day and New Year's Eve:
# whatever the date of `make run`, the handler's path has cases to work on.
@pytest.mark.parametrize(
    "today",
    [
        dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 8, 23, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC),
        dt.datetime(2028, 2, 29, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC),
    ],
    ids=lambda moment: moment.strftime("%Y-%m-%d"),
)
def test_the_demo_has_open_bad_reviews_on_any_date(
    runner: FlaskCliRunner, today: dt.datetime
) -> None:
    from survey.models import FollowUpCase, User

    with time_machine.travel(today, tick=False):
        result = runner.invoke(args=["survey", "demo"], env=ENGLISH)
        assert result.exit_code == 0, result.output
        campaign = db.session.execute(
            select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
        ).scalar_one()
        assert campaign_state(campaign) is None  # open on that day
        handler = db.session.execute(select(User).where(User.role == "handler")).scalar_one()
        open_cases = db.session.execute(
            select(FollowUpCase.id, CallbackRequest.phone)
            .outerjoin(CallbackRequest, CallbackRequest.response_id == FollowUpCase.response_id)
            .where(FollowUpCase.unit_id == handler.unit_id, FollowUpCase.status == "open")
        ).all()
        assert open_cases
        assert any(phone for _id, phone in open_cases)
        # and one burst held for review, two days back, inside the campaign
        from survey.models import Burst

        (burst,) = db.session.execute(select(Burst)).scalars().all()
        assert (burst.status, burst.cards) == ("held", 4)
        assert campaign.period_start <= (burst.first_at + dt.timedelta(hours=8)).date()
        assert burst.last_at < today.replace(tzinfo=None)


def test_demo_phone_interviews_come_from_call_cases(demo_output: str, client: FlaskClient) -> None:
    """Every phone response has its case and attempts; the AAPOR counts agree with them."""
    from survey.models import Attempt, CallCase, User
    from survey.results.response_rates import disposition_counts, phone_response_rates

    campaign = db.session.execute(select(Campaign)).scalars().first()
    phone = db.session.execute(select(Response).where(Response.channel == "phone")).scalars().all()
    assert phone
    for response in phone:
        case = db.session.execute(
            select(CallCase).where(CallCase.invitation_id == response.invitation_id)
        ).scalar_one()
        attempts = case.attempt_list
        assert attempts[-1].disposition == "complete" and case.attempts == len(attempts)
        assert case.status == "closed"
        assert attempts[-1].ended_at <= response.submitted_at + dt.timedelta(minutes=15)
    counts = disposition_counts(campaign)[None]
    # Every interview is a case's, and every case is either interviewed, closed without one,
    # or one of the queue's never-called people (3.11, counted UH).
    assert counts.I + counts.P == len(phone)
    never_called = db.session.execute(
        select(func.count(CallCase.id)).where(CallCase.attempts == 0)
    ).scalar_one()
    assert never_called == 4 * len(campaign.units)
    assert counts.R and counts.NC and counts.NE and counts.UO and counts.UH > never_called
    assert _count(Attempt) > len(phone)
    rates = phone_response_rates(campaign)[None]
    assert rates is not None and 0 < rates.rr1 < 1 and 0 < rates.e < 1
    admin = db.session.execute(select(User).where(User.role == "admin")).scalar_one()
    from factories import login

    from survey.demo import DEMO_PASSWORD

    login(client, admin, DEMO_PASSWORD)
    page = client.get(f"/evaluate/fieldwork?campaign={campaign.id}&lang=en").text
    campaign_row = page.split("Phone survey: response rates (AAPOR)")[1].split("</tr>")[1]
    assert "no attempts yet" not in campaign_row and f"{rates.rr1:.1%}" in campaign_row


def test_the_demo_cycle_is_scored_every_year_with_its_entries(demo_output: str) -> None:
    from survey.scorecard.scoring import cycle_year

    cycle = db.session.execute(select(Cycle)).scalar_one()
    assert cycle.year_list == [2024, 2025, 2026]
    assert {link.unit.code for link in cycle.units} == {"zwfw", "rmyy", "nky"}
    centre = next(link for link in cycle.units if link.unit.code == "zwfw")
    assert centre.unit_set_version is not None and centre.approved_at is not None
    for year in cycle.year_list:
        results = cycle_year(cycle, year)
        assert all(r.scored for r in results), year
        assert all(r.composite and r.composite.grade for r in results), year
    sources = {s for (s,) in db.session.execute(select(ItemScore.source).distinct())}
    assert sources == {"self", "on_site"}
    events = db.session.execute(select(ScoreEvent.item_id)).scalars().all()
    assert any(e.startswith("bonus.") for e in events)
    assert any(e.startswith("deduction.") for e in events)


def test_the_demo_opinions_show_on_the_liaisons_and_evaluators_pages(
    demo_output: str, client: FlaskClient
) -> None:
    from factories import login

    from survey.demo.extras import DEMO_PASSWORD
    from survey.models import User
    from survey.scorecard.fixes import fix_board

    issued = db.session.execute(select(Opinion).where(Opinion.state == "issued")).scalar_one()
    assert issued.year == 2025 and issued.content
    assert db.session.execute(select(Opinion.state).where(Opinion.year == 2026)).scalar_one() == (
        "draft"
    )
    assert [r.status for r in fix_board()] == ["overdue", "reported", "open", "closed"]
    liaison = db.session.execute(select(User).where(User.username == "liaison")).scalar_one()
    assert liaison.unit_id == issued.unit_id
    login(client, liaison, DEMO_PASSWORD)
    mine = client.get(f"/evaluate/unit-opinions/{issued.id}?lang=en")
    assert mine.status_code == 200 and "Required fixes" in mine.text
    assert client.get(f"/evaluate/opinion/{issued.id}.docx").status_code == 200
    office = client.application.test_client()
    evaluator = db.session.execute(select(User).where(User.username == "evaluator")).scalar_one()
    login(office, evaluator, DEMO_PASSWORD)
    board = office.get("/evaluate/fixes?lang=en").text
    assert "days late" in board and "reported, waiting for the look-back" in board

def test_the_demo_has_one_burst_held_for_review(demo_output: str, client: FlaskClient) -> None:
    """The bursts page shows something on the first run: one phone's four bad cards at a
    counter, seconds apart, flagged out of every figure, their bad reviews held."""
    from factories import login

    from survey.demo import DEMO_PASSWORD
    from survey.models import Burst, FollowUpCase, User

    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one()
    (burst,) = db.session.execute(select(Burst)).scalars().all()
    assert (burst.status, burst.source, burst.channel, burst.cards) == ("held", "client", "qr", 4)
    assert burst.unit.code == "rmyy" and burst.rule == "rate"
    assert DEMO_NOW.replace(tzinfo=None) - burst.last_at < dt.timedelta(days=3)
    cards = list(
        db.session.execute(select(Response).where(Response.burst_id == burst.id)).scalars()
    )
    assert len(cards) == 4 and all(r.flagged for r in cards)  # out of every figure
    cases = db.session.execute(
        select(FollowUpCase.status).where(FollowUpCase.response_id.in_([r.id for r in cards]))
    ).scalars().all()
    assert cases and set(cases) == {"held"}
    evaluator = db.session.execute(select(User).where(User.username == "evaluator")).scalar_one()
    login(client, evaluator, DEMO_PASSWORD)
    page = client.get(f"/evaluate/campaign/{campaign.id}/bursts?lang=en").text
    assert page.count('name="burst"') == 1 and f'data-burst="{burst.id}"' in page
    assert f"/evaluate/campaign/{campaign.id}/bursts" in client.get(
        f"/evaluate/campaign/{campaign.id}?lang=en").text
