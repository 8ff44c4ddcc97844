"""What the demo adds around its campaign: accounts, a call queue, follow-ups, report comments."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import func, select

from ..channels.links import create_invitation
from ..extensions import db
from ..models import (
    CallbackRequest,
    Campaign,
    Contact,
    Group,
    Invitation,
    utcnow,
)
from .data import BEIJING, DEMO_CAMPAIGN, SEED

# Demo accounts, one per role, so `make run` can show every part of the workspace.
DEMO_PASSWORD = "demo-password"


DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("admin", "admin"),
    ("evaluator", "evaluator"),
    ("operator", "operator"),
    ("handler", "handler"),
    # A second evaluator, so a draft opinion can be reviewed by someone other than its drafter.
    ("reviewer", "evaluator"),
    # The liaison of the unit whose opinion the demo issues (survey.demo.scorecard).
    ("liaison", "liaison"),
)
LIAISON_UNIT = "rmyy"


def _busiest_followup_unit(campaign: Campaign) -> int:
    """The unit with the most open bad reviews (those with a call-back number first).

    The demo handler follows up that unit, so signing in as them shows cases to
    work on, a number to call and a remedy that sends the rating SMS.
    """
    from ..models import FollowUpCase

    has_number = func.count(CallbackRequest.id)
    found = db.session.execute(
        select(FollowUpCase.unit_id)
        .outerjoin(CallbackRequest, CallbackRequest.response_id == FollowUpCase.response_id)
        .where(FollowUpCase.campaign_id == campaign.id, FollowUpCase.status == "open")
        .group_by(FollowUpCase.unit_id)
        .order_by(has_number.desc(), func.count().desc(), FollowUpCase.unit_id)
        .limit(1)
    ).scalar_one_or_none()
    return found if found is not None else campaign.units[0].id


def load_demo_users() -> list[str]:
    """Create the demo accounts when the database has no account at all; return their names.

    Never touches a database that already has accounts, so running the demo
    against a real installation cannot add a known password to it.
    """
    from ..access.accounts import create_user
    from ..models import User

    if db.session.execute(select(User.id).limit(1)).first() is not None:
        return []
    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one_or_none()
    handler_unit = _busiest_followup_unit(campaign) if campaign and campaign.units else None
    liaison_unit = next(
        (u.id for u in (campaign.units if campaign else []) if u.code == LIAISON_UNIT), None
    )
    unit_of = {"handler": handler_unit, "liaison": liaison_unit}
    created = []
    for username, role in DEMO_USERS:
        if role in unit_of and unit_of[role] is None:
            continue
        create_user(username, DEMO_PASSWORD, role, unit_id=unit_of.get(role))
        created.append(username)
    return created


# People of the general public to call, per unit, so the phone console has a queue.
DEMO_CALLS_PER_UNIT = 4
QUEUE_PREFIX = "+86137"


def load_demo_phone_queue() -> int:
    """Phone invitations waiting in the call queue (once); returns the cases added.

    The demo campaign keeps real calling hours (09:00-20:00 Beijing time, not
    in the 12:00-14:00 lunch break, never on a public holiday): outside them the
    console says when calls resume, as it would for a real campaign.
    """
    from ..channels.phone import enqueue_phone_cases

    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one_or_none()
    if campaign is None:
        return 0
    # Once: the queue's people are known by their numbers (the calls already made, by theirs).
    already = db.session.execute(
        select(func.count(Invitation.id))
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.campaign_id == campaign.id, Contact.phone.like(f"{QUEUE_PREFIX}%"))
    ).scalar_one()
    if already:
        return 0
    group = db.session.execute(select(Group).where(Group.code == "public")).scalar_one_or_none()
    if group is None or campaign.group_settings(group.id) is None:
        return 0
    campaign.call_from, campaign.call_until = "09:00", "20:00"
    campaign.lunch_from, campaign.lunch_until = "12:00", "14:00"
    rng = random.Random(SEED + 1)
    for unit in campaign.units:
        for k in range(DEMO_CALLS_PER_UNIT):
            contact = Contact(
                name=rng.choice("王李张刘陈杨赵黄") + rng.choice("伟芳娜敏静强"),
                phone=f"{QUEUE_PREFIX}{unit.id:02d}{k:06d}",
                language="zh_Hans",
            )
            db.session.add(contact)
            create_invitation(campaign, group, unit, channel="phone", contact=contact)
    db.session.flush()
    return enqueue_phone_cases(campaign)


# What units did about the demo's older bad reviews, so the follow-up pages have history.
DEMO_REMEDIES = (
    "已电话联系当事人，说明办理流程并当场补办。",
    "已约谈窗口工作人员，调整排班，增加高峰时段窗口。",
    "已核实情况，向当事人道歉并加快办理。",
)


def load_demo_followups(now: dt.datetime | None = None) -> int:
    """Give the demo's bad reviews older than a month a remedy and a rating (once).

    Most are remedied within the deadline, some a little late, so the
    on-time share is a real figure; the recent ones stay open.
    """
    from ..models import FollowUpCase

    now = now or utcnow()
    rng = random.Random(SEED + 2)
    cases = (
        db.session.execute(
            select(FollowUpCase)
            .where(
                FollowUpCase.remedied_at.is_(None),
                FollowUpCase.status == "open",
                FollowUpCase.opened_at < now - dt.timedelta(days=30),
            )
            .order_by(FollowUpCase.id)
        )
        .scalars()
        .all()
    )
    for case_row in cases:
        late = rng.random() < 0.2
        span = case_row.due_at - case_row.opened_at
        case_row.remedied_at = case_row.opened_at + (span * 1.5 if late else span * rng.random())
        case_row.action_taken = rng.choice(DEMO_REMEDIES)
        case_row.status = "closed"
        case_row.fix_rating = rng.choice(
            ("satisfied", "satisfied", "basically_satisfied", "dissatisfied")
        )
        case_row.rated_at = case_row.closed_at = case_row.remedied_at + dt.timedelta(days=2)
    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one_or_none()
    if campaign is not None:
        _one_case_to_call_back(campaign)
    return len(cases)


# The number the demo's newest open bad review left for a call-back, when chance left none.
DEMO_CALLBACK_PHONE = "+8613900139000"


def _one_case_to_call_back(campaign: Campaign) -> None:
    """Make sure an open bad review has a call-back number, so the handler's path can be tried."""
    from ..models import FollowUpCase

    open_cases = select(FollowUpCase.response_id).where(
        FollowUpCase.campaign_id == campaign.id, FollowUpCase.status == "open"
    )
    with_number = db.session.execute(
        select(CallbackRequest.id).where(CallbackRequest.response_id.in_(open_cases)).limit(1)
    ).first()
    if with_number is not None:
        return
    newest = db.session.execute(
        select(FollowUpCase)
        .where(FollowUpCase.campaign_id == campaign.id, FollowUpCase.status == "open")
        .order_by(FollowUpCase.opened_at.desc(), FollowUpCase.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if newest is not None:
        db.session.add(
            CallbackRequest(
                response_id=newest.response_id,
                phone=DEMO_CALLBACK_PHONE,
                created_at=newest.opened_at,
            )
        )


def load_demo_report_comments(per_unit: int = 3) -> int:
    """Select a few comments of each demo unit for its report, so the report shows some (once)."""
    from ..models import ReportComment
    from ..results.comments import unit_comments

    if db.session.execute(select(ReportComment.id).limit(1)).first() is not None:
        return 0
    campaign = db.session.execute(select(Campaign).where(Campaign.code == "demo")).scalar_one()
    chosen = 0
    for unit in campaign.units:
        seen: set[str] = set()
        comments, _total = unit_comments(campaign, unit.id)
        for comment in comments:
            if comment.text in seen or len(seen) == per_unit:
                continue
            seen.add(comment.text)
            db.session.add(ReportComment(answer_id=comment.answer_id))
            chosen += 1
    return chosen


# One phone that sent this many very dissatisfied cards at a counter of this unit, 30
# seconds apart: past the per-client limit (SURVEY_BURST_COUNT, 3), so a burst is held.
BURST_CARDS = 4
BURST_UNIT = "rmyy"


def load_demo_burst(now: dt.datetime | None = None) -> int:
    """One burst held for review, so the bursts page has one on the first run (once).

    Two days before the load (at 10:12 in China), whatever its date, and through
    the real rule (survey.responses.bursts.check_card): its cards are flagged
    out of every figure and their bad reviews held from the handler until an
    evaluator accepts or excludes the burst. Returns its cards (0: none added).
    """
    from ..followup.cases import open_case_if_bad
    from ..instruments.store import current_version
    from ..models import Answer, Burst, Response
    from ..responses.answers import answer_columns
    from ..responses.bursts import check_card
    from ..responses.scoring import store_scores

    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one_or_none()
    if campaign is None or db.session.execute(
        select(Burst.id).where(Burst.campaign_id == campaign.id).limit(1)
    ).first():
        return 0
    settings = next(g for g in campaign.groups if g.group.code == "service_user")
    instrument, version = current_version(settings.instrument_id)
    unit = next(u for u in campaign.units if u.code == BURST_UNIT)
    point = min(unit.service_points, key=lambda p: p.code)
    day = ((now or utcnow()) + BEIJING).date() - dt.timedelta(days=2)
    first = dt.datetime.combine(day, dt.time(10, 12)) - BEIJING
    client = hashlib.sha256(b"demo: one phone at the counter").hexdigest()
    question = instrument.question("overall")
    for k in range(BURST_CARDS):
        moment = first + dt.timedelta(seconds=30 * k)
        response = Response(
            campaign=campaign, unit=unit, group=settings.group, channel="qr",
            instrument_version=version, service_point_id=point.id, language="zh_Hans",
            client_hash=client, started_at=moment - dt.timedelta(seconds=40),
            submitted_at=moment,
        )
        response.answers.append(
            Answer(question_id="overall", **answer_columns(question, "very_dissatisfied"))
        )
        store_scores(response, instrument)
        db.session.add(response)
        db.session.flush()
        open_case_if_bad(response, instrument)
        check_card(response, None, now=moment)
    return BURST_CARDS
