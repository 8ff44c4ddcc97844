"""The estimation settings, as one frozen object instead of nine keyword arguments.

Every results entry point (satisfaction, year_on_year, estimates_from_summaries,
the exports and the API) takes the same settings; they travel together as an
:class:`EstimationOptions`, validated once by :meth:`EstimationOptions.checked`.
The keyword arguments the entry points still accept (``k=3, weighting="population"``)
are read into this object through :class:`EstimationSettings`, so the list of
settings and their types is written here once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict, Unpack, cast, get_args

from flask import current_app

from ..models import Campaign
from ..stats import LonelyPSU, ProportionMethod
from ..stats.design import DfMethod
from .messages import N_, ResultsError

Weighting = Literal["policy", "population"]
WEIGHTINGS: tuple[str, ...] = get_args(Weighting)
# Whose opinion a figure is: the people served and the stakeholders who evaluate the
# unit from outside ("external"), or the unit's own staff ("staff"). Never pooled.
Dimension = Literal["external", "staff"]
DIMENSION_CHOICES: tuple[str, ...] = get_args(Dimension)
#: The group dimensions (models.base.DIMENSIONS) each published dimension combines.
DIMENSION_GROUPS: dict[str, tuple[str, ...]] = {
    "external": ("service_users", "stakeholders"),
    "staff": ("staff",),
}
METHODS: tuple[str, ...] = get_args(ProportionMethod)


class EstimationSettings(TypedDict, total=False):
    """The settings as keyword arguments (``satisfaction(..., k=3)``); see EstimationOptions."""

    level: float
    method: ProportionMethod
    k: int | None
    weighting: Weighting | None
    weights: Mapping[str, float] | None
    df: DfMethod
    lonely: LonelyPSU
    group_breakdown: bool
    dimension: Dimension


@dataclass(frozen=True, slots=True, kw_only=True)
class EstimationOptions:
    """How the figures of a results table are estimated and which may be shown.

    ``level``: confidence level of every interval; ``method``: interval of the
    share satisfied (survey.stats); ``k``: the small-cell threshold (None: the
    app's SURVEY_SMALL_CELL_K); ``weighting``: "policy" (the campaign's group
    weights, or ``weights`` as a what-if) or "population" (N_h/N), None for
    the campaign's own choice (``Campaign.weighting``, :meth:`for_campaign`;
    "policy" where no campaign is at hand); ``df`` and
    ``lonely``: degrees of freedom and one-respondent strata, as in
    survey.stats; ``group_breakdown=False`` skips the per-group rows (exports
    that show only combined figures); ``dimension`` whose opinion the figures
    are: "external" (service users and stakeholders, the satisfaction index of
    the people served) or "staff" (the unit's own staff on their unit), never
    pooled.

    The defaults are survey.stats' own (``stratified_mean`` and
    ``stratified_proportion`` called without options), so the published figure
    is exactly what the library gives: design df n - H, a lonely group
    collapsed with its nearest group in the campaign's group order, the
    variance never below Kish's from the weights, a logit interval for the
    index and Wilson's on the effective sample size for the share.
    """

    level: float = 0.95
    method: ProportionMethod = "wilson"
    k: int | None = None
    weighting: Weighting | None = None
    weights: Mapping[str, float] | None = None
    df: DfMethod = "design"
    lonely: LonelyPSU = "collapse"
    group_breakdown: bool = True
    dimension: Dimension = "external"

    @classmethod
    def of(
        cls, options: EstimationOptions | None = None, **settings: Unpack[EstimationSettings]
    ) -> EstimationOptions:
        """``options`` (or the defaults) with any keyword ``settings`` replacing its fields."""
        base = options if options is not None else cls()
        return dataclasses.replace(base, **settings) if settings else base

    def checked(self) -> EstimationOptions:
        """These options validated, with ``k`` filled in from the configuration when None.

        Raises ResultsError naming the setting and the choices, in the reader's language.
        """
        if self.weighting is not None and self.weighting not in WEIGHTINGS:
            raise ResultsError(
                N_("Weighting must be one of %(choices)s, not %(value)s."),
                choices=", ".join(WEIGHTINGS),
                value=repr(self.weighting),
            )
        if self.dimension not in DIMENSION_CHOICES:
            raise ResultsError(
                N_("The dimension must be one of %(choices)s, not %(value)s."),
                choices=", ".join(DIMENSION_CHOICES),
                value=repr(self.dimension),
            )
        if self.method not in METHODS:
            raise ResultsError(
                N_("The interval method must be one of %(choices)s, not %(value)s."),
                choices=", ".join(METHODS),
                value=repr(self.method),
            )
        k = self.k
        if k is None:
            k = int(current_app.config.get("SURVEY_SMALL_CELL_K", 5))
        if k < 0:
            raise ResultsError(N_("The small-cell threshold k must be 0 or more, not %(k)s."), k=k)
        return self if k == self.k else dataclasses.replace(self, k=k)

    def for_campaign(self, campaign: Campaign) -> EstimationOptions:
        """These options with the campaign's weighting filled in where none is asked for."""
        if self.weighting is not None:
            return self
        chosen = campaign.weighting if campaign.weighting in WEIGHTINGS else "policy"
        return dataclasses.replace(self, weighting=cast(Weighting, chosen))

    @property
    def used_weighting(self) -> Weighting:
        """The weighting these options use: "policy" unless population was chosen."""
        return self.weighting or "policy"

    @property
    def small_cell_k(self) -> int:
        """k of checked options (0 before :meth:`checked` filled it in)."""
        return self.k or 0


# What files and the indicator API publish: one object, so they never disagree.
PUBLISHED = EstimationOptions(group_breakdown=False)
