"""Running monthly summaries kept in step with the responses that count.

A response counts in published figures when it is submitted, not flagged as part
of a burst and its bad review was not excluded. Whatever changes that (a card
submitted, a burst held, accepted or excluded, a bad review excluded) is seen
when the session flushes (an ORM change to a Response or a FollowUpCase) or is
named by the code that made a bulk change (``survey.models.touch_responses``).
Before the transaction commits, and before results are read inside it,
:func:`sync_pending` adds or takes away those responses' scores in
``monthly_summary``.

Each response carries ``summarised``, whether its scores are in the sums now.
It is flipped by a guarded UPDATE (``WHERE summarised = <what was read>``), and
only the transaction whose UPDATE changed the row applies the delta: a response
is added or taken away exactly once even when two workers race. Sums are
increments by upsert (``INSERT ... ON CONFLICT DO UPDATE SET n = n + ...``),
which PostgreSQL and SQLite both apply atomically to the row.

:func:`rebuild` recomputes the sums from the responses and :func:`disagreements`
compares the two (``flask survey summaries rebuild`` and ``check``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    inspect,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, scoped_session

from ..models import Campaign, FollowUpCase, MonthlySummary, Response, ResponseScore
from ..models.summaries import BORN as _BORN
from ..models.summaries import (
    CARD_SCORES,
    TOUCHED,
    NotedCard,
    note_born,
    touch_responses,
)
from .atom_hash import atom_hashes, atom_hashes_sql
from .cell_sums import SummaryCell, Sums, add_score, apply_deltas, cells_of_card, merge, month_of
from .periods import local_period, utc_offset_minutes

__all__ = [
    "counted",
    "disagreements",
    "install",
    "not_excluded",
    "rebuild",
    "sync_pending",
]

# The app's scoped session or a plain one (the migration-free tests and the CLI pass either).
AnySession = Session | scoped_session[Any]

# Where a session keeps the campaigns whose months moved (a new time zone): rebuilt.
_REBUILD = "survey.rebuild_campaigns"

# Responses per statement when syncing or rebuilding (SQLite's bound-parameter limit).
_CHUNK = 500
# Sums compared by the check: relative tolerance for float sums added in another order.
_TOLERANCE = 1e-9


def not_excluded(response_id: Any = Response.id) -> Any:
    """The condition that a response's bad review was not excluded as malicious or mistaken.

    Excluded with a recorded reason in the follow-up, such a response no
    longer counts anywhere: figures, fieldwork counts, comments and the
    small-cell counts that decide what is shown. (NOT IN over the few
    excluded ids: one hashed lookup per row, where a correlated NOT EXISTS
    was planned as a loop over the follow-up table for every response.)
    """
    return response_id.not_in(
        select(FollowUpCase.response_id).where(FollowUpCase.status == "excluded")
    )


def counted() -> Any:
    """The condition that a response's scores count in published figures."""
    return and_(
        Response.submitted_at.is_not(None), Response.flagged.is_(False), not_excluded(Response.id)
    )


def install(session: Any) -> None:
    """Keep the summaries in step on ``session`` (the app's scoped session); once only."""
    if event.contains(session, "after_flush", _collect):
        return
    event.listen(session, "after_flush", _collect)
    event.listen(session, "before_commit", _before_commit)
    event.listen(session, "after_rollback", _forget)


def _collect(session: Session, _context: Any) -> None:
    """Note the responses whose counting may have changed in this flush."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Response) and obj.id is not None and obj in session.new:
            if obj.summarised:  # stored as counting: in the sums from the start (_born)
                note_born(session, obj)
                if obj.submitted_at is None or obj.flagged:
                    ids.add(obj.id)  # yet it does not count: the guarded UPDATE takes it away
            elif obj.submitted_at is not None:
                ids.add(obj.id)
        elif isinstance(obj, Response) and obj.id is not None and obj.submitted_at is not None:
            ids.add(obj.id)
            if obj in session.dirty and _moved_cell(obj):
                session.info.setdefault(_REBUILD, set()).add(obj.campaign_id)
        elif isinstance(obj, FollowUpCase) and obj.response_id is not None:
            ids.add(obj.response_id)
        elif isinstance(obj, Campaign) and obj in session.dirty and _moves_months(obj):
            session.info.setdefault(_REBUILD, set()).add(obj.id)
    if ids:
        touch_responses(session, ids)


# What places a response's scores in a summary cell.
_CELL_FIELDS = ("campaign_id", "unit_id", "service_point_id", "group_id", "channel")


def _moved_cell(response: Response) -> bool:
    """Whether a stored response was moved to another cell or month (a correction by hand).

    Rare enough that its campaign is rebuilt rather than the old cell's values
    looked up; a first submission (no time before) is not a move.
    """
    state = inspect(response)
    if any(state.attrs[name].history.has_changes() for name in _CELL_FIELDS):
        return True
    submitted = state.attrs.submitted_at.history
    return submitted.has_changes() and any(t is not None for t in submitted.deleted)


def _moves_months(campaign: Campaign) -> bool:
    """Whether a campaign's months shifted: its time zone, or the year its offset is read in."""
    state = inspect(campaign)
    return any(state.attrs[name].history.has_changes() for name in ("timezone", "period_start"))


def _before_commit(session: Session) -> None:
    sync_pending(session)


def _forget(session: Session) -> None:
    session.info.pop(TOUCHED, None)
    session.info.pop(_REBUILD, None)
    session.info.pop(_BORN, None)
    session.info.pop(CARD_SCORES, None)


def _born(session: AnySession) -> dict[SummaryCell, Sums]:
    """The increments of responses inserted in this transaction already ``summarised``.

    Such a response was counted from the start (a card stored as counting, so no
    guarded UPDATE needs to flip it): its scores are added now, taken from what
    the code that stored them noted (``note_card_scores``) or else selected.
    """
    born: dict[int, Response] = session.info.pop(_BORN, None) or {}
    noted: dict[int, NotedCard] = session.info.pop(CARD_SCORES, None) or {}
    deltas: dict[SummaryCell, Sums] = {}
    unknown: dict[int, int] = {}
    for response_id, response in born.items():
        card = noted.get(response_id)
        if card is None:
            unknown[response_id] = 1
            continue
        assert response.submitted_at is not None
        offset = dt.timedelta(minutes=utc_offset_minutes(card.campaign))
        base = SummaryCell(
            response.campaign_id,
            response.unit_id,
            response.service_point_id,
            response.group_id,
            response.channel,
            "",
            month_of(response.submitted_at, offset),
        )
        merge(deltas, cells_of_card(base, card.scores))
    if unknown:
        merge(deltas, _deltas(session, unknown))
    return deltas


def sync_pending(session: AnySession) -> int:
    """Bring the summaries in step with the responses touched so far; how many moved."""
    session.flush()  # changes still pending are noticed (_collect) as they flush
    deltas = _born(session)
    ids = session.info.pop(TOUCHED, None) or set()
    moved = 0
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        signs = _flip(session, ordered[start : start + _CHUNK])
        moved += len(signs)
        if signs:
            merge(deltas, _deltas(session, signs))
    apply_deltas(session, deltas)
    shifted = session.info.pop(_REBUILD, None)
    if shifted:  # their months are other months now: recomputed after the increments
        rebuild(session, sorted(shifted))
    return moved


def _flip(session: AnySession, ids: Sequence[int]) -> dict[int, int]:
    """Flip ``summarised`` of those of ``ids`` whose counting changed; +1 or -1 for each.

    One guarded UPDATE ... RETURNING flips ``summarised`` where it differs from
    whether the response counts now and names the rows it flipped: only those
    move, so a response is never added twice, even by two racing workers.
    """
    now_counted = counted()
    flipped = session.execute(
        update(Response)
        .where(Response.id.in_(ids), Response.summarised != now_counted)
        .values(summarised=now_counted)
        .returning(Response.id, Response.summarised)
        .execution_options(synchronize_session=False)
    ).all()
    return {row.id: 1 if row.summarised else -1 for row in flipped}


def _deltas(session: AnySession, signs: dict[int, int]) -> dict[SummaryCell, Sums]:
    """Per cell: [n, total, sum of squares, satisfied] to add (negative to take away)."""
    r, rs = Response, ResponseScore
    scores = session.execute(
        select(
            r.id,
            r.campaign_id,
            r.unit_id,
            r.service_point_id,
            r.group_id,
            r.channel,
            r.submitted_at,
            rs.indicator,
            rs.score,
            rs.satisfied,
        )
        .join(rs, rs.response_id == r.id)
        .where(r.id.in_(list(signs)))
    ).all()
    offsets: dict[int, dt.timedelta] = {}
    deltas: dict[SummaryCell, Sums] = {}
    for s in scores:
        if s.campaign_id not in offsets:
            campaign = session.get(Campaign, s.campaign_id)
            assert campaign is not None
            offsets[s.campaign_id] = dt.timedelta(minutes=utc_offset_minutes(campaign))
        cell = SummaryCell(
            s.campaign_id,
            s.unit_id,
            s.service_point_id,
            s.group_id,
            s.channel,
            s.indicator,
            month_of(s.submitted_at, offsets[s.campaign_id]),
        )
        add_score(deltas, cell, s.score, s.satisfied, signs[s.id])
    return deltas


def _grouped_sums(campaign: Campaign) -> Any:
    """SELECT of the campaign's sums per cell and month from the responses that count."""
    r, rs = Response, ResponseScore
    month = local_period(r.submitted_at, "month", utc_offset_minutes(campaign)).label("month")
    return (
        select(
            r.unit_id,
            r.service_point_id,
            r.group_id,
            r.channel,
            rs.indicator,
            month,
            func.count().label("n"),
            func.sum(rs.score).label("total"),
            func.sum(rs.score * rs.score).label("squares"),
            func.sum(case((rs.satisfied, 1), else_=0)).label("satisfied"),
        )
        .join(rs, rs.response_id == r.id)
        .where(r.campaign_id == campaign.id, counted())
        .group_by(r.unit_id, r.service_point_id, r.group_id, r.channel, rs.indicator, month)
    )


def _raw_sums(session: AnySession, campaign: Campaign) -> dict[str, tuple[SummaryCell, Sums]]:
    """The campaign's sums per cell and month computed from the responses now."""
    rows = session.execute(_grouped_sums(campaign)).all()
    out: dict[str, tuple[SummaryCell, Sums]] = {}
    for row in rows:
        cell = SummaryCell(
            campaign.id,
            row.unit_id,
            row.service_point_id,
            row.group_id,
            row.channel,
            row.indicator,
            str(row.month),
        )
        out[cell.key] = (
            cell,
            [int(row.n), float(row.total), float(row.squares), int(row.satisfied)],
        )
    return out


def _campaigns(session: AnySession, campaign_ids: Iterable[int] | None) -> list[Campaign]:
    stmt = select(Campaign).order_by(Campaign.id)
    if campaign_ids is not None:
        stmt = stmt.where(Campaign.id.in_(list(campaign_ids)))
    return list(session.execute(stmt).scalars())


def rebuild(session: AnySession, campaign_ids: Iterable[int] | None = None) -> int:
    """Recompute the summaries of the campaigns (all by default) from their responses.

    Per campaign, in the session's transaction: its summary rows deleted, every
    response's ``summarised`` set to whether it counts (only the rows where that
    changed are written), and one ``INSERT INTO monthly_summary ... SELECT ...
    GROUP BY`` that sums the scores in the database: no row passes through
    Python. The month is :func:`local_period` with the campaign's offset, the
    same as the running path's (:func:`_deltas`) and the check's. Flushed, not
    committed. Returns the number of summary rows written.
    """
    chosen = None if campaign_ids is None else list(campaign_ids)
    _drop_increments(session, chosen)
    written = 0
    for campaign in _campaigns(session, chosen):
        session.execute(delete(MonthlySummary).where(MonthlySummary.campaign_id == campaign.id))
        now_counted = counted()
        session.execute(
            update(Response)
            .where(Response.campaign_id == campaign.id, Response.summarised != now_counted)
            .values(summarised=now_counted)
            .execution_options(synchronize_session=False)
        )
        _insert_hashed(session, _insert_sums(campaign))
        # Counted: the rowcount of INSERT ... SELECT read -1 on PostgreSQL (psycopg) in the tests.
        written += session.execute(
            select(func.count()).where(MonthlySummary.campaign_id == campaign.id)
        ).scalar_one()
    if written and session.get_bind().dialect.name == "postgresql":
        # The planner's statistics described the rows before (or none, after a bulk load):
        # on none, the results' GROUP BY was planned for 11 rows and sorted 260,000 on disk.
        session.execute(text("ANALYZE monthly_summary"))
    session.flush()
    return written


def _drop_increments(session: AnySession, campaign_ids: list[int] | None) -> None:
    """What a rebuild recomputes needs no increment after it: touched and born responses."""
    session.info.pop(TOUCHED, None)
    if campaign_ids is None:
        session.info.pop(_BORN, None)
        return
    born = session.info.get(_BORN, {})
    for response_id in [i for i, r in born.items() if r.campaign_id in set(campaign_ids)]:
        del born[response_id]


# PostgreSQL guesses the rebuild's GROUP BY has as many groups as the product of each
# key's distinct values (12 million at 3 million responses, where there are 260,000 cells)
# and sorts every score on disk for them: 135 s at 3 million responses, against 42 s with
# the scores hashed in memory (bench/bench_results.py). Local to the statement.
_HASHED = {"work_mem": "256MB", "enable_sort": "off"}


def _insert_hashed(session: AnySession, statement: Any) -> None:
    """Execute the rebuild's INSERT ... SELECT with :data:`_HASHED` on PostgreSQL.

    Set for the transaction (``set_config(..., true)``) and put back once the
    statement is done; if it fails, the rollback puts them back.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.execute(statement)
        return
    before = {
        name: session.execute(select(func.current_setting(name))).scalar_one() for name in _HASHED
    }
    for name, value in _HASHED.items():
        session.execute(select(func.set_config(name, value, True)))
    session.execute(statement)
    for name, value in before.items():
        session.execute(select(func.set_config(name, value, True)))


def _insert_sums(campaign: Campaign) -> Any:
    """``INSERT INTO monthly_summary ... SELECT`` of the campaign's sums per cell and month.

    The inner SELECT is :func:`_grouped_sums` (what the check compares with);
    the outer one spells each cell's ``cell_key`` as :attr:`SummaryCell.key` does
    (``-`` for no service point), in SQL that SQLite and PostgreSQL share.
    """
    sums = _grouped_sums(campaign).subquery("sums")

    def as_text(column: Any) -> Any:
        return cast(column, String)

    separator = literal_column("':'", String)
    parts = [
        literal_column(f"'{int(campaign.id)}'", String),
        as_text(sums.c.unit_id),
        func.coalesce(as_text(sums.c.service_point_id), literal_column("'-'", String)),
        as_text(sums.c.group_id),
        sums.c.channel,
        sums.c.indicator,
        sums.c.month,
    ]
    key = parts[0]
    for part in parts[1:]:
        key = key.op("||")(separator).op("||")(part)
    columns = (
        "cell_key",
        "campaign_id",
        "unit_id",
        "service_point_id",
        "group_id",
        "channel",
        "indicator",
        "month",
        "n",
        "total",
        "sum_of_squares",
        "satisfied",
        "hash1",
        "hash2",
    )
    source = select(
        key,
        literal_column(str(int(campaign.id)), Integer),
        sums.c.unit_id,
        sums.c.service_point_id,
        sums.c.group_id,
        sums.c.channel,
        sums.c.indicator,
        sums.c.month,
        sums.c.n,
        sums.c.total,
        sums.c.squares,
        sums.c.satisfied,
        *atom_hashes_sql(sums.c.channel, sums.c.service_point_id, sums.c.month),
    )
    table: Table = MonthlySummary.__table__  # type: ignore[assignment]
    return table.insert().from_select(columns, source)


def disagreements(session: AnySession, campaign_ids: Iterable[int] | None = None) -> list[str]:
    """Cells whose stored sums differ from the responses' (empty when all agree)."""
    sync_pending(session)
    problems: list[str] = []
    for campaign in _campaigns(session, campaign_ids):
        raw = _raw_sums(session, campaign)
        rows = session.execute(
            select(MonthlySummary).where(MonthlySummary.campaign_id == campaign.id)
        ).scalars()
        stored = {}
        for s in rows:
            stored[s.cell_key] = [s.n, s.total, s.sum_of_squares, s.satisfied]
            if (s.hash1, s.hash2) != atom_hashes(s.channel, s.service_point_id, s.month):
                problems.append(f"{campaign.code} {s.cell_key}: atom hashes {s.hash1}, {s.hash2}")
        for key in sorted(set(raw) | set(stored)):
            want = raw[key][1] if key in raw else None
            have = stored.get(key)
            if want is None or have is None or not _agree(want, have):
                problems.append(f"{campaign.code} {key}: responses {want}, summary {have}")
    return problems


def _agree(want: Sequence[float], have: Sequence[float]) -> bool:
    if int(want[0]) != int(have[0]) or int(want[3]) != int(have[3]):
        return False
    return all(
        abs(a - b) <= _TOLERANCE * max(1.0, abs(a), abs(b))
        for a, b in zip(want[1:3], have[1:3], strict=True)
    )
