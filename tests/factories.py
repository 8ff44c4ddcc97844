"""One small factory per model (CTFd's gen_<model> habit): test data in code, not in files."""

from __future__ import annotations

import datetime as dt
import itertools

from survey.channels.links import create_invitation, issue_tickets
from survey.extensions import db
from survey.instruments.store import current_version
from survey.models import (
    GROUP_CODES,
    Answer,
    Campaign,
    CampaignGroup,
    Contact,
    Group,
    Invitation,
    Response,
    ServicePoint,
    Ticket,
    Unit,
    utcnow,
)
from survey.responses.scoring import store_scores

_seq = itertools.count(1)

# Which shipped instrument each group answers in the default test campaign.
DEFAULT_INSTRUMENTS = {
    "service_user": "post-service-card",
    "public": "post-service-card",
    "staff": "staff-survey",
}
STAKEHOLDER_INSTRUMENT = "stakeholder-evaluation"


def gen_unit(code: str | None = None, name: str | None = None) -> Unit:
    n = next(_seq)
    unit = Unit(code=code or f"u{n}", name=name or f"测试单位{n}")
    db.session.add(unit)
    return unit


def gen_service_point(unit: Unit | None = None, code: str | None = None) -> ServicePoint:
    n = next(_seq)
    point = ServicePoint(unit=unit or gen_unit(), code=code or f"sp{n}", name=f"{n}号窗口")
    db.session.add(point)
    return point


def gen_group(code: str) -> Group:
    """The group with this code, created on first use."""
    group = db.session.execute(db.select(Group).filter_by(code=code)).scalar_one_or_none()
    if group is None:
        group = Group(code=code, position=GROUP_CODES.index(code) if code in GROUP_CODES else 99)
        db.session.add(group)
    return group


def gen_campaign(
    units: list[Unit] | None = None,
    *,
    groups: dict[str, dict] | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    cap_at_target: bool = False,
    point_group: str = "service_user",
) -> Campaign:
    """A campaign open now; ``groups`` maps group code -> CampaignGroup fields."""
    n = next(_seq)
    today = utcnow().date()
    campaign = Campaign(
        code=f"c{n}",
        name=f"测评{n}",
        period_start=period_start or today - dt.timedelta(days=365),
        period_end=period_end or today + dt.timedelta(days=365),
        cap_at_target=cap_at_target,
        units=units if units is not None else [gen_unit()],
        point_group=gen_group(point_group),
    )
    groups = groups or {code: {} for code in GROUP_CODES}
    for code, fields in groups.items():
        fields = dict(fields)
        fields.setdefault("instrument_id", DEFAULT_INSTRUMENTS.get(code, STAKEHOLDER_INSTRUMENT))
        campaign.groups.append(CampaignGroup(group=gen_group(code), **fields))
    db.session.add(campaign)
    return campaign


def gen_contact(name: str = "张三", phone: str | None = "+8613800138000") -> Contact:
    contact = Contact(name=name, phone=phone)
    db.session.add(contact)
    return contact


def gen_invitation(
    campaign: Campaign | None = None, group: str = "deputy", unit: Unit | None = None, **kw
) -> tuple[Invitation, str]:
    campaign = campaign or gen_campaign()
    return create_invitation(
        campaign, gen_group(group), unit or campaign.units[0], contact=kw.pop("contact", None), **kw
    )


def gen_ticket(
    campaign: Campaign | None = None, point: ServicePoint | None = None
) -> tuple[Ticket, str]:
    campaign = campaign or gen_campaign()
    point = point or gen_service_point(campaign.units[0])
    return issue_tickets(campaign, point, 1)[0]


def gen_response(
    campaign: Campaign,
    *,
    unit: Unit | None = None,
    group: str = "service_user",
    channel: str = "qr",
    answers: dict[str, str] | None = None,
    submitted_at: dt.datetime | None = None,
    language: str = "zh_Hans",
) -> Response:
    """A submitted response; ``answers`` maps question id -> option value (scored from the file)."""
    settings = next(g for g in campaign.groups if g.group.code == group)
    instrument, version = current_version(settings.instrument_id)
    response = Response(
        campaign=campaign,
        unit=unit or campaign.units[0],
        group=gen_group(group),
        channel=channel,
        instrument_version=version,
        language=language,
        submitted_at=submitted_at or utcnow(),
    )
    for question_id, value in (answers or {}).items():
        question = instrument.question(question_id)
        response.answers.append(
            Answer(question_id=question_id, value=value, score=question.score_of(value))
        )
    store_scores(response, instrument)
    db.session.add(response)
    return response


def gen_followup_case(
    campaign: Campaign | None = None,
    *,
    phone: str | None = "138 0013 8000",
    language: str = "zh_Hans",
    unit_name: str | None = None,
):  # type: ignore[no-untyped-def]
    """A bad review's open follow-up case; ``phone`` is the call-back number left, if any."""
    from survey.followup.cases import open_case_if_bad
    from survey.instruments.store import current_instruments
    from survey.models import CallbackRequest

    campaign = campaign or gen_campaign([gen_unit(name=unit_name)])
    response = gen_response(campaign, answers={"overall": "very_dissatisfied"}, language=language)
    db.session.flush()
    if phone is not None:
        db.session.add(CallbackRequest(response_id=response.id, phone=phone))
    case = open_case_if_bad(response, current_instruments()[DEFAULT_INSTRUMENTS["service_user"]])
    assert case is not None
    db.session.commit()
    return case


DEFAULT_PASSWORD = "correct horse battery"


def gen_user(role: str = "evaluator", username: str | None = None, **fields: object):  # type: ignore[no-untyped-def]
    """A staff account with DEFAULT_PASSWORD; a handler or liaison gets a unit unless given one."""
    from survey.access.accounts import create_user

    n = next(_seq)
    if role in ("handler", "liaison") and fields.get("unit_id") is None:
        unit = gen_unit()
        db.session.flush()
        fields["unit_id"] = unit.id
    user = create_user(username or f"{role}{n}", DEFAULT_PASSWORD, role, **fields)  # type: ignore[arg-type]
    db.session.commit()
    return user


def csrf_token(client, page_url: str) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the form on a page, read the way a browser would get it.

    The tests' app context outlives each request, and Flask-WTF caches the token
    in ``g``: without forgetting it, a second client in one test would be given
    the first client's token, which its own session does not hold.
    """
    import re

    from flask import g

    g.pop("csrf_token", None)
    page = client.get(page_url)
    if not client.application.config.get("WTF_CSRF_ENABLED", True):
        return ""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert found, f"{page_url} ({page.status_code}) has no CSRF token"
    return found.group(1)


def login(client, user, password: str = DEFAULT_PASSWORD):  # type: ignore[no-untyped-def]
    """Sign in through the real login form (CSRF token included), as a person would."""
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "username": user.username,
            "password": password,
        },
    )
    assert response.status_code == 302, response.text
    return response
