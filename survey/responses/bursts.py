"""Bursts on the public channels: cards from one source faster than its usual, held for review.

The rule, applied to every card that comes through a public channel, as it is
stored (README, "Bursts"). A card belongs to one or two *sources*:

- a QR card (``/p/<point>``, or ``/k/<point>`` in a browser that is not an
  enrolled kiosk): the client (a keyed hash of its address) at that point, and
  the point's QR cards as a whole;
- a kiosk card: the enrolled device;
- a ticket card: the sheet of tickets it was printed on (tickets issued together).

Within the last SURVEY_BURST_WINDOW_SECONDS a source is allowed

- a client: SURVEY_BURST_COUNT cards (a family at one phone sends a few, not a stack);
- a point, device or sheet: the larger of SURVEY_BURST_MIN_CARDS and
  SURVEY_BURST_FACTOR times its usual cards per window. The usual is its counted
  cards over the SURVEY_BURST_LOOKBACK_DAYS before the window, per service hour
  (SURVEY_SERVICE_HOURS a day, over the days since its first such card), so a
  busy hall is allowed more than a quiet counter, and a burst never raises its
  own usual (flagged cards are not counted);

and, however busy it is, no more lowest ratings ("very dissatisfied", an
overall score of 0) than the larger of SURVEY_BURST_LOW_MIN - 1 and
SURVEY_BURST_FACTOR times its usual lowest per window, when they are at least
SURVEY_BURST_LOW_SHARE of the window's cards (the pattern of a stuffed
complaint, which the count alone lets through at a busy point).

When a card takes its source past either limit, every card of the source in the
window (those before it too, which were counted until then) joins one held
Burst: flagged, out of the figures, their bad reviews held out of the
handler's queue, until an evaluator reviews the burst (survey.responses.review).
A card is in one burst at most: the cards of another burst (one client's, say,
when the whole point then goes past its limit) stay where they are, and cards
an evaluator reviewed are never taken back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, DateTime, and_, bindparam, case, func, or_, select, update

from ..extensions import db
from ..instruments import OVERALL_INDICATOR
from ..models import Burst, FollowUpCase, Response, ResponseScore, Ticket, touch_responses
from .usual_cache import Usual, keep_usual, kept_usual

# An overall score at or below this is the lowest level of the scale (very dissatisfied: 0).
LOWEST_SCORE = 0.0


@dataclass(frozen=True, slots=True)
class Source:
    """One source of cards: its kind (BURST_SOURCES), key and the cards that are its own.

    ``where`` may name bound parameters (the same expressions for every card of
    the kind, so the statements made of them are made once); ``params`` are
    their values for this source.
    """

    kind: str
    key: str
    where: tuple[ColumnElement[bool], ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    # Which bound-parameter conditions ``where`` is ("" for a source made by hand).
    shape: str = ""


# The sources' conditions, made once with bound parameters (sources_of fills them in).
_WHERE: dict[str, tuple[ColumnElement[bool], ...]] = {
    "client": (
        Response.service_point_id == bindparam("burst_point"),
        Response.client_hash == bindparam("burst_client"),
    ),
    "point": (Response.service_point_id == bindparam("burst_point"), Response.channel == "qr"),
    "device": (Response.device_id == bindparam("burst_device"),),
    "sheet": (
        Response.ticket_id.in_(select(Ticket.id).where(Ticket.sheet == bindparam("burst_sheet"))),
    ),
    "sheet_point": (
        Response.ticket_id.in_(
            select(Ticket.id).where(Ticket.service_point_id == bindparam("burst_point"))
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """The settings of the rule, read once per check."""

    window: dt.timedelta
    client_count: int
    min_cards: int
    factor: float
    lookback_days: int
    service_hours: float
    low_min: int
    low_share: float

    @classmethod
    def from_config(cls) -> Rule:
        config = current_app.config
        return cls(
            window=dt.timedelta(seconds=int(config["SURVEY_BURST_WINDOW_SECONDS"])),
            client_count=int(config["SURVEY_BURST_COUNT"]),
            min_cards=int(config["SURVEY_BURST_MIN_CARDS"]),
            factor=float(config["SURVEY_BURST_FACTOR"]),
            lookback_days=int(config["SURVEY_BURST_LOOKBACK_DAYS"]),
            service_hours=float(config["SURVEY_SERVICE_HOURS"]),
            low_min=int(config["SURVEY_BURST_LOW_MIN"]),
            low_share=float(config["SURVEY_BURST_LOW_SHARE"]),
        )


def sources_of(response: Response, ticket: Ticket | None) -> list[Source]:
    """The sources a public card belongs to (none for a personal link, phone or IVR)."""
    point_id = response.service_point_id
    if response.channel == "qr" and point_id is not None:
        found = [_source("point", str(point_id), "point", burst_point=point_id)]
        if response.client_hash:
            found.insert(
                0,
                _source(
                    "client",
                    response.client_hash,
                    "client",
                    burst_point=point_id,
                    burst_client=response.client_hash,
                ),
            )
        return found
    if response.channel == "kiosk" and response.device_id is not None:
        device_id = response.device_id
        return [_source("device", str(device_id), "device", burst_device=device_id)]
    if response.channel == "ticket" and ticket is not None:
        if ticket.sheet:
            return [_source("sheet", ticket.sheet, "sheet", burst_sheet=ticket.sheet)]
        point_key = f"point-{ticket.service_point_id}"
        return [_source("sheet", point_key, "sheet_point", burst_point=ticket.service_point_id)]
    return []


def _source(kind: str, key: str, shape: str, **params: Any) -> Source:
    return Source(kind, key, _WHERE[shape], params, shape)


def lowest_card() -> Any:
    """1 for a card whose overall answer is the lowest level, else 0 (an SQL expression)."""
    return (
        select(func.count())
        .where(
            ResponseScore.response_id == Response.id,
            ResponseScore.indicator == OVERALL_INDICATOR,
            ResponseScore.score <= LOWEST_SCORE,
        )
        .scalar_subquery()
    )


def usual_per_hour(source: Source, before: dt.datetime, rule: Rule) -> tuple[float, float]:
    """The source's counted cards, and lowest ratings, per service hour before ``before``."""
    start = before - dt.timedelta(days=rule.lookback_days)
    cards, lowest, first = db.session.execute(
        select(
            func.count(Response.id), func.sum(lowest_card()), func.min(Response.submitted_at)
        ).where(
            *source.where,
            Response.submitted_at >= start,
            Response.submitted_at < before,
            Response.flagged.is_(False),
        ),
        dict(source.params),
    ).one()
    return _per_hour(int(cards or 0), int(lowest or 0), first, before, rule)


def _per_hour(
    cards: int, lowest: int, first: dt.datetime | None, before: dt.datetime, rule: Rule
) -> tuple[float, float]:
    if not cards or first is None:
        return 0.0, 0.0
    # The days it has been in use, so a point opened last week is not judged over four weeks.
    days = min(max((before - first) / dt.timedelta(days=1), 1.0), float(rule.lookback_days))
    hours = days * rule.service_hours
    return cards / hours, float(lowest) / hours


@dataclass(frozen=True, slots=True)
class _Figures:
    """A source's cards and lowest ratings in the window, and its usual per service hour."""

    cards: int
    lowest: int
    usual: float
    usual_lowest: float


def check_card(response: Response, ticket: Ticket | None, now: dt.datetime) -> Burst | None:
    """Apply the rule to a card just stored (flushed, scored); the burst it joined, if any.

    Flushes; the caller (the view) commits with the card.
    """
    rule = Rule.from_config()
    sources = sources_of(response, ticket)
    if not sources:
        return None
    for source, figures in zip(sources, _figures(sources, now, rule), strict=True):
        burst = _check_source(response, source, now, rule, figures)
        if burst is not None:
            return burst
    return None


def _figures(sources: list[Source], now: dt.datetime, rule: Rule) -> list[_Figures]:
    """Every source's figures in one statement (a card's submission costs as few as it can).

    The same counts as a query per window and per usual would give: the window
    (start, now], and the lookback [start - days, start) of counted cards for
    the usual (a client has no usual: its limit is fixed). A usual this worker
    worked out less than a minute ago is taken as kept (survey.responses.usual_cache),
    and then only the window's cards are read. The statement is made once per
    combination of sources (a QR card's client and point, say) and of usuals
    to work out, and bound to this card's values.
    """
    start = now - rule.window
    kept = [
        None if source.kind == "client" else kept_usual(source.kind, source.key, start)
        for source in sources
    ]
    wanted = tuple(
        source.kind != "client" and usual is None
        for source, usual in zip(sources, kept, strict=True)
    )
    since = start - dt.timedelta(days=rule.lookback_days) if any(wanted) else start
    params: dict[str, Any] = {"burst_start": start, "burst_since": since, "burst_now": now}
    for source in sources:
        params.update(source.params)
    shapes = tuple((source.kind, source.shape) for source in sources)
    if all(shape for _kind, shape in shapes):
        statement = _figures_statement(shapes, wanted)
    else:  # a source made by hand: its own statement
        statement = _make_figures_statement(sources, wanted)
    # On the session's connection: a Core statement needs none of the ORM's execution.
    row = list(db.session.connection().execute(statement, params).one())
    found = []
    for source, usual, want in zip(sources, kept, wanted, strict=True):
        cards, low = int(row.pop(0) or 0), int(row.pop(0) or 0)
        per_hour = 0.0, 0.0
        if want:
            usual = Usual(start, int(row.pop(0) or 0), int(row.pop(0) or 0), row.pop(0))
            keep_usual(source.kind, source.key, usual)
        if usual is not None:
            per_hour = _per_hour(usual.cards, usual.lowest, usual.first, start, rule)
        found.append(_Figures(cards, low, *per_hour))
    return found


@lru_cache(maxsize=32)
def _figures_statement(shapes: tuple[tuple[str, str], ...], wanted: tuple[bool, ...]) -> Any:
    sources = [Source(kind, "", _WHERE[shape]) for kind, shape in shapes]
    return _make_figures_statement(sources, wanted)


def _make_figures_statement(sources: list[Source], wanted: tuple[bool, ...]) -> Any:
    """The window's cards and lowest of each source, and the lookback's where ``wanted``."""
    start = bindparam("burst_start", type_=DateTime())
    lowest = lowest_card()
    columns: list[Any] = []
    for source, want in zip(sources, wanted, strict=True):
        mine = and_(*source.where)
        in_window = and_(mine, Response.submitted_at > start)
        columns += [
            func.sum(case((in_window, 1), else_=0)),
            func.sum(case((in_window, lowest), else_=0)),
        ]
        if want:
            before = and_(mine, Response.submitted_at < start, Response.flagged.is_(False))
            columns += [
                func.sum(case((before, 1), else_=0)),
                func.sum(case((before, lowest), else_=0)),
                func.min(case((before, Response.submitted_at))),
            ]
    return select(*columns).where(
        or_(*(and_(*source.where) for source in sources)),
        Response.submitted_at >= bindparam("burst_since", type_=DateTime()),
        Response.submitted_at <= bindparam("burst_now", type_=DateTime()),
    )


def _limits(source: Source, figures: _Figures, rule: Rule) -> tuple[int, int | None]:
    """The most cards and lowest ratings the source may send in a window."""
    if source.kind == "client":
        return rule.client_count, None
    per_window = rule.window / dt.timedelta(hours=1)
    allowance = max(rule.min_cards, math.ceil(rule.factor * figures.usual * per_window))
    low_allowance = max(
        rule.low_min - 1, math.floor(rule.factor * figures.usual_lowest * per_window)
    )
    return allowance, low_allowance


def _check_source(
    response: Response, source: Source, now: dt.datetime, rule: Rule, figures: _Figures
) -> Burst | None:
    start = now - rule.window
    cards, lowest = figures.cards, figures.lowest
    allowance, low_allowance = _limits(source, figures, rule)
    if cards > allowance:
        fired = "rate"
    elif low_allowance is not None and lowest > low_allowance and lowest >= rule.low_share * cards:
        fired = "lowest"
    else:
        return None
    burst = _open_burst(response, source, now, rule, fired, figures.usual, allowance)
    in_window = (*source.where, Response.submitted_at > start, Response.submitted_at <= now)
    _hold_window(burst, in_window, source.params)
    response.flagged, response.burst_id = True, burst.id
    _count(burst)
    return burst


def _hold_window(
    burst: Burst, in_window: tuple[ColumnElement[bool], ...], params: Mapping[str, Any]
) -> None:
    """The window's cards of no other burst join this one, flagged; their bad reviews held."""
    members = list(
        db.session.execute(
            select(Response.id).where(
                *in_window,
                (Response.burst_id.is_(None)) | (Response.burst_id == burst.id),
            ),
            dict(params),
        ).scalars()
    )
    db.session.execute(
        update(Response)
        .where(Response.id.in_(members))
        .values(flagged=True, burst_id=burst.id)
        .execution_options(synchronize_session=False)
    )
    touch_responses(db.session, members)  # held out of the running summaries
    # Bad reviews of the window's earlier cards that nobody has acted on yet: held too.
    db.session.execute(
        update(FollowUpCase)
        .where(
            FollowUpCase.response_id.in_(members),
            FollowUpCase.status == "open",
            FollowUpCase.action_taken.is_(None),
        )
        .values(status="held")
        .execution_options(synchronize_session=False)
    )


def _open_burst(
    response: Response,
    source: Source,
    now: dt.datetime,
    rule: Rule,
    fired: str,
    usual: float,
    allowance: int,
) -> Burst:
    """The source's held burst still running (its last card within the window), or a new one."""
    burst = db.session.execute(
        select(Burst)
        .where(
            Burst.source == source.kind,
            Burst.source_key == source.key,
            Burst.campaign_id == response.campaign_id,
            Burst.status == "held",
            Burst.last_at > now - rule.window,
        )
        .order_by(Burst.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if burst is None:
        burst = Burst(
            campaign_id=response.campaign_id,
            unit_id=response.unit_id,
            service_point_id=response.service_point_id,
            channel=response.channel,
            source=source.kind,
            source_key=source.key,
            device_id=response.device_id,
            first_at=now,
            last_at=now,
            cards=0,
            lowest=0,
            usual_per_hour=usual,
            allowance=allowance,
            rule=fired,
            status="held",
        )
        db.session.add(burst)
        db.session.flush()
    return burst


def _count(burst: Burst) -> None:
    """The burst's cards, lowest ratings, first and last card, from its members."""
    cards, lowest, first, last = db.session.execute(
        select(
            func.count(Response.id),
            func.sum(lowest_card()),
            func.min(Response.submitted_at),
            func.max(Response.submitted_at),
        ).where(Response.burst_id == burst.id)
    ).one()
    burst.cards, burst.lowest = int(cards or 0), int(lowest or 0)
    if first is not None and last is not None:
        burst.first_at, burst.last_at = first, last
    db.session.flush()
