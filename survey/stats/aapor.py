"""Response, cooperation, refusal and contact rates after AAPOR's Standard Definitions.

Each case counts once, in one of the final categories:

- I: complete interview (1.1); P: partial interview (1.2);
- R: refusal and break-off (2.10); NC: non-contact (2.20); O: other eligible
  non-interview (2.30, e.g. language);
- UH, UO: unknown eligibility (3.10, 3.20: never reached, always busy, no answer);
- NE: not eligible (4.0), left out of every rate.

The formulas (AAPOR, Standard Definitions, 10th edition, 2023)::

    RR1  = I / ((I+P) + (R+NC+O) + (UH+UO))
    RR2  = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))
    RR3  = I / ((I+P) + (R+NC+O) + e(UH+UO))
    RR4  = (I+P) / ((I+P) + (R+NC+O) + e(UH+UO))
    COOP1 = I / ((I+P) + R + O)
    REF1 = R / ((I+P) + (R+NC+O) + (UH+UO))
    CON1 = ((I+P) + R + O) / ((I+P) + R + O + NC + (UH+UO))

e is the estimated share of eligible cases among those of unknown
eligibility; :func:`estimate_e` gives the usual choice, the share eligible
among cases whose eligibility is known. A rate whose denominator is 0 is None.

A case attempted several times has one final category: the most informative
of its attempts' outcomes, the first of :data:`PRECEDENCE` among them (UH
when it was never attempted: 3.11), whatever their order in time:

1. an interview (I 1.1, then P 1.2): its answers are in the results;
2. proof of ineligibility (NE, 4.70): a case found outside the survey leaves
   every rate, even after a refusal or a call-back (the refusal was not an
   eligible person's);
3. the eligible person reached but not interviewed (R 2.10), or reached in
   other ways (O 2.30);
4. the eligible person confirmed but not reached (NC 2.20: a call-back asked
   for by someone else, a voicemail greeting naming them);
5. unknown eligibility: a bad number (UO 3.90), then no answer, busy or an
   unconfirmed answering machine (UH 3.12-3.14).

So a later non-contact never takes back what an earlier call established (a
refusal followed by a no-answer stays a refusal), and a later proof of
ineligibility always does.
"""

from __future__ import annotations

from dataclasses import dataclass

# Final category of a case from the categories of its attempts: the first of these found wins
# (the order and its reasons are in the module's docstring).
PRECEDENCE: tuple[str, ...] = ("I", "P", "NE", "R", "O", "NC", "UO", "UH")


@dataclass(frozen=True, slots=True)
class DispositionCounts:
    """Cases by final AAPOR category."""

    I: int = 0  # noqa: E741 - AAPOR's own letter
    P: int = 0
    R: int = 0
    NC: int = 0
    O: int = 0  # noqa: E741 - AAPOR's own letter
    UH: int = 0
    UO: int = 0
    NE: int = 0

    def __post_init__(self) -> None:
        for name in ("I", "P", "R", "NC", "O", "UH", "UO", "NE"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"DispositionCounts: {name} must be a count >= 0, not {value!r}")

    def __add__(self, other: DispositionCounts) -> DispositionCounts:
        return DispositionCounts(
            *(
                getattr(self, f) + getattr(other, f)
                for f in ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
            )
        )

    @property
    def total(self) -> int:
        return self.I + self.P + self.R + self.NC + self.O + self.UH + self.UO + self.NE


@dataclass(frozen=True, slots=True)
class ResponseRates:
    """The AAPOR rates of a set of cases, with the e used for RR3 and RR4 and the counts.

    As in RR1 and RR2, the odd rate counts complete interviews only and the
    even one counts partial interviews as responses too.
    """

    rr1: float | None
    rr2: float | None
    rr3: float | None
    rr4: float | None
    coop1: float | None
    ref1: float | None
    con1: float | None
    e: float
    counts: DispositionCounts


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def estimate_e(counts: DispositionCounts) -> float:
    """Share eligible among cases of known eligibility; 1 when none is known yet (conservative)."""
    eligible = counts.I + counts.P + counts.R + counts.NC + counts.O
    known = eligible + counts.NE
    return eligible / known if known else 1.0


def response_rates(counts: DispositionCounts, *, e: float | None = None) -> ResponseRates:
    """RR1 to RR4 (RR3, RR4 with ``e``, default :func:`estimate_e`), COOP1, REF1 and CON1."""
    if e is None:
        e = estimate_e(counts)
    if not 0.0 <= e <= 1.0:
        raise ValueError(f"response_rates: e must be between 0 and 1, not {e!r}")
    c = counts
    interviews = c.I + c.P
    eligible_known = interviews + c.R + c.NC + c.O
    unknown = c.UH + c.UO
    return ResponseRates(
        rr1=_ratio(c.I, eligible_known + unknown),
        rr2=_ratio(interviews, eligible_known + unknown),
        rr3=_ratio(c.I, eligible_known + e * unknown),
        rr4=_ratio(interviews, eligible_known + e * unknown),
        coop1=_ratio(c.I, interviews + c.R + c.O),
        ref1=_ratio(c.R, eligible_known + unknown),
        con1=_ratio(interviews + c.R + c.O, interviews + c.R + c.O + c.NC + unknown),
        e=e,
        counts=counts,
    )
