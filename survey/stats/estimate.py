"""The result type of every estimator: a number with its uncertainty.

Following scipy.stats' habit, estimators return a small named, immutable object
instead of a tuple, so callers read ``est.low`` rather than ``result[3]`` and the
note explaining any limitation travels with the number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

__all__ = ["Estimate"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with standard error, t degrees of freedom and interval.

    ``note`` is None unless something limits the figure: lonely strata and how
    they were handled, a one-sided interval at a proportion of 0 or 1, a zero
    variance, or suppression. A *suppressed* estimate (see :meth:`suppressed`)
    has ``estimate``, ``se``, ``df``, ``low`` and ``high`` all None (never a
    number, so a suppressed figure cannot leak into a display by accident), and
    keeps ``n`` and ``level`` so the caller can say why.

    ``deff`` is the design effect V / V_srs, where V_srs is the weighted
    population variance estimate divided by n (R's ``svymean(deff="replace")``:
    simple random sampling with replacement of the same size); None when the
    variance is 0. ``n_effective`` is the effective sample size the
    reliability standard reads: n / deff for a mean, p(1 - p) / V for a
    proportion (NCHS), at most n, and n itself when the variance is 0.
    ``n_effective_weights`` is the effective sample size of the weights alone,
    1 / sum W_h^2 (1 - f_h) / n_h (at most n): what the design effect would be
    if every group had the same spread, so it cannot be fooled by a tiny group
    that happens to answer alike.

    ``reliable`` says whether the figure meets the reliability standard of
    :mod:`survey.stats.reliability`; ``reasons`` are the short codes of the
    rules it fails (empty when reliable) and ``cautions`` the codes of
    footnotes that do not make it unreliable; the English text of both is in
    ``note``. An Estimate built by hand has not been assessed: it is not
    reliable, for the reason ``"not_assessed"``.

    Where the figure departs from what R's survey package gives for the same
    design, the departure is kept as data too, so a page can say it in its
    reader's language: ``collapsed`` pairs each group with one respondent with
    the groups whose variance it shares (collapsed strata; an empty tuple when
    it had to fall back to R's "adjust"), and ``kish_floor`` is True when the
    standard error is Kish's, from the weights, because the groups' own was
    smaller.
    """

    estimate: float | None
    se: float | None
    df: float | None
    low: float | None
    high: float | None
    level: float
    n: int
    method: str
    note: str | None = None
    deff: float | None = None
    n_effective: float | None = None
    complementary: bool = False
    reliable: bool = False
    reasons: tuple[str, ...] = ("not_assessed",)
    cautions: tuple[str, ...] = ()
    n_effective_weights: float | None = None
    collapsed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kish_floor: bool = False

    @classmethod
    def suppressed(
        cls,
        *,
        n: int,
        k: int = 5,
        level: float = 0.95,
        method: str = "",
        complementary: bool = False,
    ) -> Estimate:
        """An estimate withheld because its cell has fewer than k respondents.

        The results layer suppresses cells with n < k (default 5) for
        confidentiality and reliability; using this constructor keeps the shape
        of the result the same, so displays and exports need no special case
        beyond checking :attr:`is_suppressed`. ``complementary`` marks a cell
        of k or more withheld only so that a smaller sibling cannot be worked
        out by subtraction (see :mod:`survey.stats.disclosure`); displays say
        so, since "fewer than k" would be untrue of it.
        """
        note = (
            "suppressed: withheld beside a smaller suppressed cell"
            if complementary
            else f"suppressed: n below {k}"
        )
        return cls.unavailable(
            n=n, level=level, method=method, note=note, complementary=complementary
        )

    @classmethod
    def unavailable(
        cls,
        *,
        n: int,
        level: float,
        method: str,
        note: str,
        reason: str = "suppressed",
        complementary: bool = False,
    ) -> Estimate:
        """A figure that cannot be given: every number None, ``note`` and ``reason`` say why."""
        return cls(
            estimate=None,
            se=None,
            df=None,
            low=None,
            high=None,
            level=level,
            n=n,
            method=method,
            note=note,
            complementary=complementary,
            reasons=(reason,),
        )

    @property
    def is_suppressed(self) -> bool:
        """True when the numbers were withheld (estimate is None)."""
        return self.estimate is None

    @property
    def variance(self) -> float | None:
        """se squared, or None when suppressed."""
        return None if self.se is None else self.se * self.se

    def suppress_below(self, k: int = 5) -> Estimate:
        """Return this estimate, or a suppressed copy when n < k."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got k={k}")
        if self.n < k:
            return Estimate.suppressed(n=self.n, k=k, level=self.level, method=self.method)
        return self

    def with_note(self, extra: str) -> Estimate:
        """Copy with ``extra`` appended to the note (used by combinators)."""
        note = extra if not self.note else f"{self.note}; {extra}"
        return replace(self, note=note)

    def __post_init__(self) -> None:
        if not 0.0 < self.level < 1.0 or math.isnan(self.level):
            raise ValueError(f"level must be strictly between 0 and 1, got {self.level!r}")
