"""Running monthly summaries of indicator scores: what every results view reads.

One row per campaign, unit, service point, group, channel, indicator and month
(in the campaign's time zone) holds the count, sum, sum of squares and count
satisfied of the respondents' scores that count in published figures. Kept up
to date in the transaction that changes what counts (survey.responses.running),
so a results page costs what its cells cost, not what the responses cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model

# The columns a read of the summaries by unit and group takes (kept in the index that
# serves it, on PostgreSQL): the month (a period's CASE), the channel and point (the
# breakdowns), the four sums and the two hashes of table fingerprints.
COVERED = ("month", "channel", "service_point_id", "n", "total", "sum_of_squares",
           "satisfied", "hash1", "hash2")


class MonthlySummary(Model):
    """The sums of one cell's scores for one month; rebuilt by ``flask survey summaries``.

    ``cell_key`` spells the cell's identity in one unique column so one upsert
    finds the row on SQLite and PostgreSQL alike (a unique index over a
    nullable service point would never conflict on cards without one).
    """

    __tablename__ = "monthly_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_key: Mapped[str] = mapped_column(String(200), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_group.id"))
    channel: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[str] = mapped_column(String(80))
    # "2026-03": the month of submission in the campaign's time zone.
    month: Mapped[str] = mapped_column(String(7))
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    sum_of_squares: Mapped[float] = mapped_column(Float)
    satisfied: Mapped[int] = mapped_column(Integer)
    # Two hashes of the row's (channel, service point, month), written with the row and
    # never changed: what table fingerprints add up (survey.results.atom_hash).
    hash1: Mapped[int] = mapped_column(BigInteger, server_default="0")
    hash2: Mapped[int] = mapped_column(BigInteger, server_default="0")

    __table_args__ = (
        # Every results page reads one indicator of a campaign by unit and group: on
        # PostgreSQL the index holds what the read needs, so the rows of the other
        # indicators (interleaved with them on every page of the table) stay unread
        # (123 ms to 32 ms at 1,000 units). Its price: a card's upserts update it too.
        Index(
            "ix_monthly_summary_campaign_indicator_rows",
            "campaign_id",
            "indicator",
            "unit_id",
            "group_id",
            postgresql_include=list(COVERED),
        ),
        # A unit's page asks for one unit a dozen times (each breakdown, its tables'
        # fingerprints): read its rows, not every unit's.
        Index("ix_monthly_summary_campaign_unit", "campaign_id", "unit_id", "indicator"),
    )


# Where a session keeps the ids of responses whose counting may have changed.
TOUCHED = "survey.touched_responses"


def touch_responses(session: Any, ids: Iterable[int]) -> None:
    """Name responses a bulk UPDATE changed (flagged, excluded) so the sums follow.

    An ORM change to a Response or FollowUpCase is noticed by itself at flush;
    a ``update(Response)`` statement is not, so its author names the rows here.
    """
    session.info.setdefault(TOUCHED, set()).update(int(i) for i in ids)


# Where a session keeps the responses it inserted already summarised (survey.results.running).
BORN = "survey.born_summarised"


def note_born(session: Any, response: Any) -> None:
    """A response inserted as counting (``summarised``) without the ORM's flush.

    The running sums learn of a card the ORM inserts as it flushes; a card
    inserted by a Core statement (a QR card's submission, which is most cards)
    is named here instead, so its scores are added at commit all the same.
    """
    session.info.setdefault(BORN, {})[response.id] = response


# Where a session keeps the indicator scores of cards it stored, by response id.
CARD_SCORES = "survey.card_scores"


class NotedCard(NamedTuple):
    """A new card's scores (indicator, score, satisfied) and its campaign (for its month)."""

    campaign: Any
    scores: list[tuple[str, float, bool]]


def note_card_scores(
    session: Any, response_id: int, scores: Iterable[tuple[str, float, bool]], campaign: Any
) -> None:
    """The scores just stored for a new card, kept for the sums, with its campaign.

    A card inserted as counting (``summarised``) has its scores added to the
    monthly sums at commit; noted here, they need not be selected back. The
    campaign (read for its time zone: the card's month) may be the one kept per
    worker, not in the session: nothing but its columns is read.
    """
    session.info.setdefault(CARD_SCORES, {})[response_id] = NotedCard(campaign, list(scores))
