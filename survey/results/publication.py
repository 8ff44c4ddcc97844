"""What the indicator API publishes, as plain JSON-ready dicts (no Flask here but the config).

The institution-evaluation system reads these figures unattended, so every
number comes with its uncertainty and a suppressed figure is null with a
reason, never a number. Figures that do not exist here (phone response rates,
for instance) are left out rather than invented.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, ServicePoint, Unit, campaign_state, campaign_unit
from ..results import ResultsError
from ..results.exports import (
    EXPORT_BY,
    parse_export_by,
    published_results,
)
from ..results.unit_report import campaign_indicators
from .messages import N_
from .options import PUBLISHED
from .periods import resolve_period
from .settings import campaign_groups


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def _number(value: float | None) -> float | None:
    """A finite float or None (JSON has no NaN or infinity)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _storable(text: str) -> bool:
    """Whether a text can be compared in SQL at all (PostgreSQL refuses NUL characters)."""
    return "\x00" not in text


def find_campaign(code: str) -> Campaign | None:
    """The published campaign of ``code``: None for a draft too, as for an unknown code.

    A draft is not published: its answers are an administrator's test answers,
    deleted when it opens, and its settings may still change. The API answers
    for it as for a code that does not exist, so a token shows no campaign
    before it is opened.
    """
    if not _storable(code):
        return None
    return db.session.execute(
        select(Campaign).where(Campaign.code == code, Campaign.draft.is_(False))
    ).scalar_one_or_none()


def campaign_summary(campaign: Campaign) -> dict[str, Any]:
    return {
        "code": campaign.code,
        "name": campaign.name,
        "period_start": _iso(campaign.period_start),
        "period_end": _iso(campaign.period_end),
        "timezone": campaign.timezone,
        "open": campaign_state(campaign) is None,
    }


def campaign_list() -> list[dict[str, Any]]:
    """The published campaigns, newest first (no draft: see find_campaign)."""
    campaigns = db.session.execute(
        select(Campaign)
        .where(Campaign.draft.is_(False))
        .order_by(Campaign.period_start.desc(), Campaign.code)
    ).scalars()
    return [campaign_summary(c) for c in campaigns]


def campaign_detail(campaign: Campaign) -> dict[str, Any]:
    detail = campaign_summary(campaign)
    detail.update(
        opens_at=_iso(campaign.opens_at),
        closes_at=_iso(campaign.closes_at),
        channels=campaign.channel_list(),
        indicators=sorted(campaign_indicators(campaign)),
        groups=[
            {
                "code": s.code,
                "instrument": s.instrument_id,
                "policy_weight": _number(s.weight),
                "population": s.population,
            }
            for s in campaign_groups(campaign).values()
        ],
    )
    return detail


def campaign_units(campaign: Campaign) -> list[dict[str, Any]]:
    units = db.session.execute(
        select(Unit)
        .join(campaign_unit, campaign_unit.c.unit_id == Unit.id)
        .where(campaign_unit.c.campaign_id == campaign.id)
        .order_by(Unit.code)
    ).scalars()
    out = []
    for unit in units:
        points = db.session.execute(
            select(ServicePoint.code, ServicePoint.name)
            .where(ServicePoint.unit_id == unit.id)
            .order_by(ServicePoint.code)
        ).all()
        out.append(
            {
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "service_points": [{"code": c, "name": n} for c, n in points],
            }
        )
    return out


def _unit_id(campaign: Campaign, code: str) -> int:
    unit_id = None
    if _storable(code):
        unit_id = db.session.execute(
            select(Unit.id)
            .join(campaign_unit, campaign_unit.c.unit_id == Unit.id)
            .where(campaign_unit.c.campaign_id == campaign.id, Unit.code == code)
        ).scalar_one_or_none()
    if unit_id is None:
        raise ResultsError(
            N_("Unit %(unit)s is not evaluated in campaign %(campaign)s."),
            unit=code,
            campaign=campaign.code,
        )
    return int(unit_id)


def estimate_json(estimate: Any, suppressed: bool, k: int) -> dict[str, Any]:
    """One estimate: null figures and a reason when suppressed.

    A shown figure says whether it meets the reliability standard
    (``reliable``), the codes of the rules it fails (``reasons``, empty when
    reliable; survey.stats.REASONS), the codes of footnotes that do not make it
    unreliable (``cautions``) and, where a group with one respondent was
    collapsed with its neighbour for the variance, which (``collapsed``); a
    system reading the API must not rank figures whose ``reliable`` is false.
    """
    hidden = suppressed or estimate.is_suppressed
    return {
        "estimate": None if hidden else _number(estimate.estimate),
        "se": None if hidden else _number(estimate.se),
        "df": None if hidden else _number(estimate.df),
        "ci_low": None if hidden else _number(estimate.low),
        "ci_high": None if hidden else _number(estimate.high),
        "level": estimate.level,
        "n": None if hidden else estimate.n,
        "reliable": None if hidden else bool(estimate.reliable),
        "reasons": [] if hidden else list(estimate.reasons),
        "cautions": [] if hidden else list(estimate.cautions),
        "collapsed": (
            []
            if hidden
            else [{"group": g, "with": list(partners)} for g, partners in estimate.collapsed]
        ),
        "kish_floor": None if hidden else bool(estimate.kish_floor),
        "suppressed": hidden,
        "suppression_reason": (
            None
            if not hidden
            else "withheld so that a smaller suppressed figure cannot be worked out"
            if estimate.complementary
            else f"fewer than {k} responses (small-cell rule)"
        ),
    }


# What the API may break its figures down by: the exports' choices, and each unit by channel
# or by service point. Disclosure control publishes channels and points over the whole campaign
# only (survey.results.protection), as the unit page shows them, so these take no period.
API_BY: dict[str, tuple[str, ...]] = {
    **EXPORT_BY,
    "unit,channel": ("unit", "channel"),
    "unit,point": ("unit", "service_point"),
}
WHOLE_CAMPAIGN_ONLY = ("unit,channel", "unit,point")


def parse_api_by(value: str | None, period: str | None) -> str:
    """``by`` of the indicator API; a period with a channel or point breakdown is refused."""
    raw = (value or "unit").replace(" ", "")
    if raw in WHOLE_CAMPAIGN_ONLY:
        if period:
            raise ResultsError(
                N_(
                    "Figures by channel or by service point cover the whole campaign only "
                    "(finer ones would let withheld cells be worked out): leave the period out."
                )
            )
        return raw
    try:
        return parse_export_by(value)
    except ResultsError:
        raise ResultsError(
            N_("The indicators are broken down by %(choices)s, not %(value)s."),
            choices=", ".join(API_BY),
            value=repr(value),
        ) from None


def indicator_results(
    campaign: Campaign, *, period: str | None, unit: str | None, by: str | None
) -> dict[str, Any]:
    """Per unit (and group) and indicator: the satisfaction index and the share satisfied.

    Raises ResultsError (the caller answers 400) for a bad period, unit or ``by``.
    """
    period = (period or "").strip() or None
    by_text = parse_api_by(by, period)
    unit = (unit or "").strip() or None
    units = [_unit_id(campaign, unit)] if unit else None
    window = resolve_period(campaign, period)
    published = PUBLISHED.checked().for_campaign(campaign)
    k = published.small_cell_k
    indicators = campaign_indicators(campaign)
    rows = (
        published_results(
            campaign, by=API_BY[by_text], indicator=indicators, period=period, k=k,
            units=units,
        )
        if indicators
        else []
    )
    return {
        "campaign": campaign.code,
        "period": window.label if window else None,
        "period_start": _iso(window.start if window else campaign.period_start),
        "period_end": _iso(window.end - dt.timedelta(days=1) if window else campaign.period_end),
        "by": by_text,
        "settings": {
            "weighting": published.used_weighting,
            "k": k,
            "level": published.level,
            "interval_method_index": "logit",
            "interval_method_share": published.method,
            "df_method": published.df,
            "lonely_stratum": published.lonely,
        },
        "results": [
            {
                "dimension": row.dimension,
                "unit_code": row.unit_code,
                "unit_name": row.unit_name,
                "group": row.group,
                "channel": row.channel,
                "service_point_code": row.service_point_code,
                "service_point_name": row.service_point_name,
                "indicator": row.indicator,
                "n": None if row.suppressed else row.n,
                "index": estimate_json(row.index, row.suppressed, k),
                "share_satisfied": estimate_json(row.share_satisfied, row.suppressed, k),
            }
            for row in rows
        ],
    }
