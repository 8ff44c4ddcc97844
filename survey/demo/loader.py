"""The demo campaign and its generated responses, tickets and invitations."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from ..channels.links import create_invitation, issue_tickets, kiosk_url, point_url
from ..channels.links import invitation_url as make_invitation_url
from ..channels.links import ticket_url as make_ticket_url
from ..extensions import db
from ..followup.cases import open_case_if_bad
from ..instruments import OVERALL_INDICATOR, Instrument, Question
from ..instruments.store import current_version
from ..models import (
    GROUP_CODES,
    Answer,
    CallbackRequest,
    Campaign,
    CampaignGroup,
    Contact,
    Group,
    InstrumentVersion,
    Invitation,
    Response,
    ServicePoint,
    Ticket,
    Unit,
    utcnow,
)
from ..responses.answers import AnswerValue, answer_columns
from ..responses.scoring import store_scores
from .calls import DemoCalls
from .data import (
    _GROUP_SHIFT,
    _UNIT_LEVEL,
    BEIJING,
    COMMENTS_BAD,
    COMMENTS_GOOD,
    COMMENTS_MIXED,
    COMMENTS_NKY_LATER,
    COMMENTS_STAKEHOLDER,
    COMMENTS_UNIT,
    DEMO_CAMPAIGN,
    FALLBACK_INSTRUMENT,
    GIVEN_NAMES,
    GROUP_SETTINGS,
    ORGANISATIONS,
    PUBLIC_PER_UNIT,
    RECENT_BAD_REVIEWS,
    SEED,
    SERVICE_CHANNELS,
    SERVICE_USERS,
    STAFF_PER_UNIT,
    STAKEHOLDERS_PER_UNIT,
    SURNAMES,
    UNITS,
    UNUSED_TICKETS_PER_POINT,
    DemoResult,
)


def demo_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The three calendar years ending with this one: the evaluation cycle, open today."""
    return dt.date(today.year - 2, 1, 1), dt.date(today.year, 12, 31)


def load_demo(*, seed: int = SEED, now: dt.datetime | None = None) -> DemoResult:
    """Add the demo data unless the demo campaign exists; the caller commits.

    Idempotent by the campaign code: a second call changes nothing and says so.
    """
    existing = db.session.execute(
        select(Campaign).where(Campaign.code == DEMO_CAMPAIGN)
    ).scalar_one_or_none()
    if existing is not None:
        result = DemoResult(created=False)
        result.urls = _point_urls(existing)
        return result
    return _Loader(random.Random(seed), now or utcnow()).load()


def _point_urls(campaign: Campaign) -> list[tuple[str, str]]:
    """The first demo unit's first counter, as a QR code and on the kiosk."""
    points = {p.code: p for unit in campaign.units for p in unit.service_points}
    if not points:
        return []
    point = points.get(UNITS[0][3][0][0]) or points[min(points)]
    return [("point", point_url(point)), ("kiosk", kiosk_url(point))]


class _Loader:
    """One load of the demo: a random generator, the clock, and what was made so far."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.start, self.end = demo_period((now + BEIJING).date())
        self.first = dt.datetime.combine(self.start, dt.time()) - BEIJING
        self.result = DemoResult(created=True)
        self.instruments: dict[str, tuple[Instrument, InstrumentVersion]] = {}
        self.callbacks: list[tuple[Response, str]] = []
        # Response has foreign keys, not relationships, to these: linked after the flush.
        self.links: list[tuple[Response, Invitation | Ticket]] = []
        self.group_instrument: dict[str, str] = {}
        self.missing: set[str] = set()
        self.used_names: set[str] = set()
        self.phone_seq = 0
        self.callback_seq = 0
        self.sample_invitation: str | None = None
        self.sample_ticket: str | None = None
        self.calls = DemoCalls(random.Random(SEED + 2), self.first, now)

    # --- setup ---------------------------------------------------------------------------------

    def load(self) -> DemoResult:
        units = [self._unit(code, name, kind, points) for code, name, kind, points in UNITS]
        groups = {code: self._group(code) for code in GROUP_CODES}
        campaign = self._campaign(units, groups)
        for unit in units:
            self._service_users(campaign, unit, groups["service_user"])
            self._public(campaign, unit, groups["public"])
            for code in ("service_user", "public"):  # the phone cases without an interview
                self.calls.unanswered(campaign, groups[code], unit)
            for code in GROUP_CODES:
                if code not in ("service_user", "public"):
                    per_unit = STAFF_PER_UNIT if code == "staff" else STAKEHOLDERS_PER_UNIT
                    self._invited(campaign, unit, groups[code], per_unit)
            for point in unit.service_points:
                for _ticket, token in issue_tickets(campaign, point, UNUSED_TICKETS_PER_POINT):
                    self.sample_ticket = self.sample_ticket or token
        self._recent_bad_reviews(campaign, units[0], groups["service_user"])
        db.session.flush()
        for response, source in self.links:
            if isinstance(source, Invitation):
                response.invitation_id = source.id
            else:
                response.ticket_id = source.id
        for response, phone in self.callbacks:
            db.session.add(
                CallbackRequest(
                    response_id=response.id, phone=phone, created_at=response.submitted_at
                )
            )
        db.session.flush()
        self._summarise(campaign, units)
        return self.result

    def _unit(self, code: str, name: str, kind: str, points: tuple[tuple[str, str], ...]) -> Unit:
        unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind)
            db.session.add(unit)
        for point_code, point_name in points:
            point = db.session.execute(
                select(ServicePoint).where(ServicePoint.code == point_code)
            ).scalar_one_or_none()
            if point is None:
                db.session.add(ServicePoint(unit=unit, code=point_code, name=point_name))
        db.session.flush()
        db.session.refresh(unit)
        return unit

    def _group(self, code: str) -> Group:
        group = db.session.execute(select(Group).where(Group.code == code)).scalar_one_or_none()
        if group is None:
            group = Group(code=code, position=GROUP_CODES.index(code))
            db.session.add(group)
        return group

    def _campaign(self, units: list[Unit], groups: dict[str, Group]) -> Campaign:
        campaign = Campaign(
            code=DEMO_CAMPAIGN,
            name=f"{self.start.year}—{self.end.year}年度省直单位服务满意度测评（演示）",
            period_start=self.start,
            period_end=self.end,
            timezone="Asia/Shanghai",
            channels="qr ticket kiosk link sms phone",
            units=units,
            point_group=groups["service_user"],
            created_at=self.first,
            sms_signature="省评议办",  # its texts open with 【省评议办】 (make run prints them)
        )
        for code in GROUP_CODES:
            wanted, weight, population, target = GROUP_SETTINGS[code]
            instrument_id = self._instrument_id(wanted)
            self.group_instrument[code] = instrument_id
            campaign.groups.append(
                CampaignGroup(
                    group=groups[code],
                    instrument_id=instrument_id,
                    weight=weight,
                    population=population,
                    target=target,
                )
            )
        db.session.add(campaign)
        return campaign

    def _instrument_id(self, wanted: str) -> str:
        """The instrument a group answers; the card when the wanted file is not there (yet)."""
        for candidate in (wanted, FALLBACK_INSTRUMENT):
            if candidate in self.instruments:
                return candidate
            if candidate in self.missing:
                continue
            try:
                self.instruments[candidate] = current_version(candidate)
            except LookupError:
                self.missing.add(candidate)
                self.result.missing_instruments.append(candidate)
                continue
            return candidate
        raise LookupError(f"instrument {FALLBACK_INSTRUMENT!r} not found")

    # --- people and times ----------------------------------------------------------------------

    def _name(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def _phone(self) -> str:
        self.phone_seq += 1
        return f"+86139{self.phone_seq:08d}"

    def _office_hours(self, day: dt.date) -> dt.datetime:
        """A moment of a working day between 8:30 and 17:30 in China, in UTC."""
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes) - BEIJING

    def _moment(self, earliest: dt.datetime | None = None) -> dt.datetime:
        """A working-day moment between ``earliest`` (default: the cycle's start) and now."""
        earliest = earliest or self.first
        span = max((self.now - earliest).days - 1, 1)
        for _ in range(20):
            day = (earliest + BEIJING).date() + dt.timedelta(days=self.rng.randrange(span))
            if day.weekday() < 5 or self.rng.random() < 0.1:
                break
        moment = self._office_hours(day)
        return min(moment, self.now - dt.timedelta(minutes=5))

    def _in_year(self, year: int) -> dt.datetime:
        """A moment of the yearly stakeholder round (May to November) of ``year``, before now."""
        earliest = dt.datetime(year, 5, 1) - BEIJING
        latest = min(dt.datetime(year, 11, 30) - BEIJING, self.now - dt.timedelta(days=1))
        if latest <= earliest:  # this year's round has not come yet: early in the year
            earliest = dt.datetime(year, 1, 2) - BEIJING
            latest = max(self.now - dt.timedelta(hours=1), earliest + dt.timedelta(hours=1))
        seconds = (latest - earliest).total_seconds()
        return earliest + dt.timedelta(seconds=self.rng.uniform(0, seconds))

    def _progress(self, moment: dt.datetime) -> float:
        """How far through the cycle so far (0 at its start, 1 now)."""
        total = (self.now - self.first).total_seconds()
        return min(max((moment - self.first).total_seconds() / total, 0.0), 1.0) if total else 1.0

    def _level(self, unit: Unit, group: str, moment: dt.datetime) -> float:
        """A respondent's latent dissatisfaction, 0 (delighted) to 1 (furious)."""
        begin, finish = _UNIT_LEVEL.get(unit.code, (0.3, 0.3))
        centre = begin + (finish - begin) * self._progress(moment) + _GROUP_SHIFT.get(group, 0)
        return min(max(self.rng.gauss(centre, 0.2), 0.0), 1.0)

    # --- answers -------------------------------------------------------------------------------

    def _pick(self, question: Question, level: float, dont_know: float) -> str | None:
        """An option: the scored ones ordered best first, picked around the latent level."""
        na = [o for o in question.options if o.na]
        if na and self.rng.random() < dont_know:
            return self.rng.choice(na).value
        scored = sorted(
            (o for o in question.options if not o.na and o.score is not None),
            key=lambda o: -(o.score or 0.0),
        )
        if not scored:
            plain = [o for o in question.options if not o.na]
            return self.rng.choice(plain).value if plain else None
        position = level * (len(scored) - 1) + self.rng.gauss(0, 0.55)
        return scored[min(max(round(position), 0), len(scored) - 1)].value

    def _comment(self, unit: Unit, group: str, level: float, moment: dt.datetime) -> str:
        if group not in ("service_user", "public") and self.rng.random() < 0.6:
            return self.rng.choice(COMMENTS_STAKEHOLDER)
        if unit.code == "nky" and level < 0.35 and self._progress(moment) > 0.6:
            if self.rng.random() < 0.5:
                return self.rng.choice(COMMENTS_NKY_LATER)
        if level >= 0.55:
            pool = COMMENTS_BAD + COMMENTS_UNIT.get(unit.code, ())
        elif level >= 0.35:
            pool = COMMENTS_MIXED + COMMENTS_UNIT.get(unit.code, ())
        else:
            pool = COMMENTS_GOOD
        return self.rng.choice(pool)

    def _answers(
        self,
        instrument: Instrument,
        unit: Unit,
        group: str,
        moment: dt.datetime,
        *,
        bad_review: bool = False,
    ) -> tuple[dict[str, AnswerValue], str | None]:
        """Question id -> value as the respondent form would parse it, and a call-back number.

        ``bad_review`` answers as a furious respondent who leaves a number: the
        overall question gets its lowest level, so the card opens a case.
        """
        level = 1.0 if bad_review else self._level(unit, group, moment)
        stakeholder = group not in ("service_user", "public")
        dont_know = 0.12 if stakeholder else 0.0
        answers: dict[str, AnswerValue] = {}
        phone: str | None = None
        for question in instrument.questions:
            if question.show_if is not None and not question.show_if.is_met(answers):
                continue
            if not question.required and self.rng.random() < 0.06:
                continue  # an optional question left out
            value: AnswerValue | None = None
            if question.type == "phone":
                if bad_review or self.rng.random() < 0.45:
                    self.callback_seq += 1
                    phone = f"+86138{self.callback_seq:08d}"
                continue
            if question.type == "text":
                if self.rng.random() < (0.3 if stakeholder else 0.18):
                    value = self._comment(unit, group, level, moment)[: question.max_length or 500]
            elif question.type == "multi":
                plain = [o.value for o in question.options if not o.na]
                if plain:
                    value = self.rng.sample(plain, k=min(len(plain), self.rng.randint(1, 2)))
            elif question.options and bad_review and question.indicator == OVERALL_INDICATOR:
                value = min(question.options, key=lambda o: (o.na, o.score or 0.0)).value
            elif question.options:
                value = self._pick(question, level, dont_know)
            elif question.type == "nps":
                value = str(min(max(round(10 - 10 * level + self.rng.gauss(0, 1)), 0), 10))
            elif question.type == "number":
                low = question.min if question.min is not None else 0.0
                high = question.max if question.max is not None else low + 10
                value = float(round(self.rng.uniform(low, high)))
            if value is not None:
                answers[question.id] = value
        return answers, phone

    def _response(
        self,
        campaign: Campaign,
        unit: Unit,
        group: Group,
        channel: str,
        moment: dt.datetime,
        *,
        point: ServicePoint | None = None,
        invitation: Invitation | None = None,
        bad_review: bool = False,
    ) -> Response:
        if channel == "phone" and invitation is None:
            invitation = self.calls.interviewed(campaign, group, unit, moment)
        instrument, version = self.instruments[self.group_instrument[group.code]]
        answers, phone = self._answers(
            instrument, unit, group.code, moment, bad_review=bad_review
        )
        language = self.rng.choices(["zh_Hans", "zh_Hant", "en"], weights=[95, 3, 2])[0]
        response = Response(
            campaign=campaign,
            unit=unit,
            group=group,
            channel=channel,
            instrument_version=version,
            service_point_id=point.id if point is not None else None,
            language=language,
            started_at=moment - dt.timedelta(seconds=self.rng.randint(40, 900)),
            submitted_at=moment,
        )
        for question_id, value in answers.items():
            columns = answer_columns(instrument.question(question_id), value)
            response.answers.append(Answer(question_id=question_id, **columns))
        store_scores(response, instrument)
        db.session.add(response)
        open_case_if_bad(response, instrument)
        if phone is not None:
            self.callbacks.append((response, phone))
        if invitation is not None:
            self.links.append((response, invitation))
        return response

    # --- the groups ----------------------------------------------------------------------------

    def _service_users(self, campaign: Campaign, unit: Unit, group: Group) -> None:
        channels = [channel for channel, _share in SERVICE_CHANNELS]
        weights = [share for _channel, share in SERVICE_CHANNELS]
        points = list(unit.service_points)
        for _ in range(SERVICE_USERS.get(unit.code, 50)):
            moment = self._moment()
            channel = self.rng.choices(channels, weights=weights)[0]
            point = self.rng.choice(points)
            response = self._response(
                campaign, unit, group, channel, moment, point=None if channel == "phone" else point
            )
            if channel == "ticket":
                ticket, _token = issue_tickets(campaign, point, 1, days=30)[0]
                ticket.created_at = moment - dt.timedelta(minutes=self.rng.randint(5, 240))
                ticket.expires_at = ticket.created_at + dt.timedelta(days=30)
                ticket.used_at = moment
                self.links.append((response, ticket))

    def _recent_bad_reviews(self, campaign: Campaign, unit: Unit, group: Group) -> None:
        """Bad reviews from the last few days, still open whatever the date of the load.

        The rest of the demo's cards fall anywhere in the cycle, so on most days
        none of its bad reviews would be recent enough to be open; these are.
        """
        today = (self.now + BEIJING).date()
        for k in range(RECENT_BAD_REVIEWS):
            moment = min(
                self._office_hours(today - dt.timedelta(days=k + 1)),
                self.now - dt.timedelta(minutes=5),
            )
            self._response(
                campaign,
                unit,
                group,
                "qr",
                moment,
                point=unit.service_points[k % len(unit.service_points)],
                bad_review=True,
            )

    def _public(self, campaign: Campaign, unit: Unit, group: Group) -> None:
        for _ in range(PUBLIC_PER_UNIT):
            self._response(campaign, unit, group, "phone", self._moment())

    def _invited(self, campaign: Campaign, unit: Unit, group: Group, per_unit: int) -> None:
        """Contacts with personal links: all but one answered, in one of the yearly rounds."""
        years = [self.start.year + k for k in range(3)]
        organisations = ORGANISATIONS[group.code]
        for k in range(per_unit):
            organisation = unit.name if group.code == "staff" else self.rng.choice(organisations)
            contact = Contact(
                name=self._name(),
                phone=self._phone(),
                organisation=organisation,
                language="zh_Hans",
                created_at=self.first,
            )
            db.session.add(contact)
            channel = self.rng.choice(("link", "sms"))
            invitation, token = create_invitation(
                campaign, group, unit, channel=channel, contact=contact, language="zh_Hans"
            )
            if k == per_unit - 1:
                # Still to answer: invited a few days ago; its link is one the demo can show.
                invitation.created_at = self.now - dt.timedelta(days=self.rng.randint(1, 5))
                if group.code == "deputy":
                    self.sample_invitation = self.sample_invitation or token
                continue
            moment = self._in_year(years[k % len(years)])
            invitation.created_at = moment - dt.timedelta(days=self.rng.randint(1, 10))
            invitation.status = "completed"
            self._response(campaign, unit, group, channel, moment, invitation=invitation)

    # --- summary -------------------------------------------------------------------------------

    def _summarise(self, campaign: Campaign, units: list[Unit]) -> None:
        rows = db.session.execute(
            select(Group.code, func.count(Response.id))
            .join(Response, Response.group_id == Group.id)
            .where(Response.campaign_id == campaign.id)
            .group_by(Group.code)
        ).all()
        self.result.responses_by_group = {code: n for code, n in rows}
        self.result.counts = {
            "units": len(units),
            "service points": sum(len(u.service_points) for u in units),
            "groups": len(campaign.groups),
            "responses": sum(self.result.responses_by_group.values()),
            "invitations": db.session.execute(
                select(func.count(Invitation.id)).where(Invitation.campaign_id == campaign.id)
            ).scalar_one(),
            "tickets": db.session.execute(
                select(func.count(Ticket.id)).where(Ticket.campaign_id == campaign.id)
            ).scalar_one(),
            "call-back requests": len(self.callbacks),
        }
        self.result.urls = _point_urls(campaign)
        if self.sample_ticket:
            self.result.urls.append(("ticket", make_ticket_url(self.sample_ticket)))
        if self.sample_invitation:
            self.result.urls.append(("invitation", make_invitation_url(self.sample_invitation)))
