"""A campaign's group settings as the results use them: weights, populations, indicators.

Choices, stated once:

- Weights: ``weighting="policy"`` uses each group's ``CampaignGroup.weight``
  renormalised over the groups present in the cell (when no group of the
  campaign has a weight, all groups count equally); ``"population"`` uses the
  population shares N_h/N and needs every present group's population.
- A group's population N_h is taken as the population of that group for every
  cell (e.g. all deputies rate every unit), giving f_h = n_h/N_h.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import has_request_context
from sqlalchemy import select

from ..extensions import db
from ..instruments.store import current_instruments
from ..labels import group_label
from ..models import Campaign, CampaignGroup, ChannelInstrument, Group
from .messages import N_, ResultsError, text
from .summaries import CellKey


@dataclass(frozen=True, slots=True)
class GroupSetting:
    """A group's settings in a campaign, as the results need them."""

    code: str
    position: int
    instrument_id: str
    weight: float | None
    population: int | None
    dimension: str = "stakeholders"
    # (channel, instrument id) where the group answers another questionnaire there.
    by_channel: tuple[tuple[str, str], ...] = ()

    @property
    def instrument_ids(self) -> tuple[str, ...]:
        """Every questionnaire the group answers, its own first: all feed its results."""
        found = [self.instrument_id]
        found.extend(i for _channel, i in self.by_channel if i not in found)
        return tuple(found)

    def instrument_text(self) -> str:
        """The group's questionnaire and those of its channels: ``card; phone: script``."""
        return "; ".join([self.instrument_id, *(f"{c}: {i}" for c, i in self.by_channel)])


def campaign_groups(campaign: Campaign) -> dict[str, GroupSetting]:
    """Group code -> settings for the campaign, in one query, in the groups' display order.

    A group's questionnaires per channel come in the same query (an outer join:
    one row per channel that has its own, one row for a group without any).
    """
    rows = db.session.execute(
        select(
            Group.code,
            Group.position,
            CampaignGroup.instrument_id,
            CampaignGroup.weight,
            CampaignGroup.population,
            Group.dimension,
            ChannelInstrument.channel,
            ChannelInstrument.instrument_id,
        )
        .join(Group, Group.id == CampaignGroup.group_id)
        .outerjoin(ChannelInstrument, ChannelInstrument.campaign_group_id == CampaignGroup.id)
        .where(CampaignGroup.campaign_id == campaign.id)
        .order_by(Group.position, Group.code, ChannelInstrument.channel)
    ).all()
    settings: dict[str, GroupSetting] = {}
    for code, position, instrument_id, weight, population, dimension, channel, other in rows:
        known = settings.get(code)
        by_channel = known.by_channel if known is not None else ()
        if channel is not None:
            by_channel = (*by_channel, (channel, other))
        settings[code] = GroupSetting(
            code, position, instrument_id, weight, population, dimension, by_channel
        )
    return settings


def check_indicators(settings: Mapping[str, GroupSetting], indicators: Sequence[str]) -> None:
    """Refuse an indicator that none of the campaign's instruments feeds.

    A misspelt indicator would otherwise give an empty table that looks like
    "nobody answered"; naming the known ones makes the mistake obvious.
    """
    instruments = current_instruments()
    fed: set[str] = set()
    for setting in settings.values():
        for instrument_id in setting.instrument_ids:
            instrument = instruments.get(instrument_id)
            if instrument is not None:
                fed.update(instrument.indicators)
    unknown = [i for i in indicators if i not in fed]
    if unknown:
        raise ResultsError(
            N_(
                "Unknown indicator %(indicator)s: no instrument of this campaign feeds it. "
                "Known indicators: %(known)s."
            ),
            indicator=", ".join(map(repr, unknown)),
            known=", ".join(sorted(fed)) or "-",
        )


def policy_weights(
    settings: Mapping[str, GroupSetting], override: Mapping[str, float] | None
) -> tuple[dict[str, float], bool]:
    """Raw policy weights per group, and whether they are the equal-weights fallback."""
    if override is not None:
        raw = {code: override.get(code) for code in settings}
    else:
        raw = {code: s.weight for code, s in settings.items()}
    for code, weight in raw.items():
        if weight is not None and not float(weight) >= 0:
            raise ResultsError(
                N_(
                    "The policy weight of group %(group)s is %(weight)s; "
                    "weights must be zero or positive."
                ),
                group=code,
                weight=weight,
            )
    if override is not None:
        unknown = sorted(set(override) - set(settings))
        if unknown:
            raise ResultsError(
                N_("Weights are given for %(groups)s, which are not groups of this campaign."),
                groups=", ".join(unknown),
            )
    if all(w is None for w in raw.values()):
        return {code: 1.0 for code in raw}, True
    missing = [code for code, w in raw.items() if w is None]
    if missing:
        raise ResultsError(
            N_(
                "Group %(groups)s has no policy weight while others have one; set a weight "
                "(0 leaves the group out) or use population weighting."
            ),
            groups=", ".join(missing),
        )
    return {code: float(w) for code, w in raw.items() if w is not None}, False


def describe_cell(cell: CellKey) -> str:
    parts = [
        cell.indicator,
        cell.unit_code,
        cell.service_point_code,
        cell.group,
        cell.channel,
        cell.year,
        cell.quarter,
        cell.month,
    ]
    return " / ".join(p for p in parts if p) or "-"


def weighting_text(
    weighting: str,
    used: Mapping[str, float],
    settings: Mapping[str, GroupSetting],
    policy: Mapping[str, float] | None,
    equal: bool,
) -> str:
    # People read this sentence beside the figures: group names in their language
    # inside a request; the codes elsewhere (logs, command line), as text() does.
    named = has_request_context()
    items = []
    for code, w in used.items():
        name = group_label(code) if named else code
        pop = settings[code].population
        pop_text = f"N={pop}" if pop is not None else text(N_("N not set"))
        if policy is not None and not equal:
            items.append(f"{name} {w:.4g} ({policy[code]:g}; {pop_text})")
        else:
            items.append(f"{name} {w:.4g} ({pop_text})")
    listed = ", ".join(items)
    if weighting == "population":
        return text(
            N_("population shares N_h/N of the groups present: %(weights)s"), weights=listed
        )
    if equal:
        return text(
            N_("equal weights (no policy weights set) over the groups present: %(weights)s"),
            weights=listed,
        )
    return text(
        N_("policy weights renormalised over the groups present: %(weights)s"), weights=listed
    )
