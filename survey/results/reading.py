"""How a published figure is to be read, in the reader's language: reliability and departures.

Every :class:`~survey.stats.Estimate` carries, as data, whether it meets the
reliability standard (``reliable``, ``reasons``, ``cautions``) and where it
departs from what R's survey package gives for the same design (a lonely
group collapsed with its neighbour, ``collapsed``; Kish's floor on the
standard error, ``kish_floor``). survey.stats writes its note in English for
logs and the command line; this module says the same things in the reader's
language, once, for the pages, the PDF and the exports.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..labels import group_label
from ..stats import Estimate
from .messages import N_, text

# Short reasons, one per rule of survey.stats.reliability.REASONS (the numbers are in the
# methods notes); msgids, translated by text() when read inside a request.
REASON_LABELS = {
    "n_effective": N_("effective sample size below 30"),
    "weight_concentrated": N_("a few respondents carry much of the weight"),
    "df": N_("fewer than 8 degrees of freedom"),
    "ci_width": N_("interval 30 points wide or more"),
    "relative_ci_width": N_("interval wide relative to the figure"),
    "rse": N_("relative standard error above 30%"),
    "input_unreliable": N_("computed from a figure that is not reliable"),
    "no_common_groups": N_("no group answered in both periods"),
    "not_assessed": N_("not assessed against the reliability standard"),
    "suppressed": N_("withheld (too few respondents)"),
}

CAUTION_LABELS = {
    "complement": N_(
        "its complement (the share not satisfied, or the distance from 100) is too imprecise "
        "to be read on its own"
    ),
    "boundary": N_("at the end of the scale: exact interval on the actual sample size"),
}


def shown_unreliable(estimate: Estimate) -> bool:
    """True for a figure that is shown but does not meet the reliability standard."""
    return not estimate.is_suppressed and not estimate.reliable


def rankable(estimate: Estimate) -> bool:
    """Whether a figure may be ranked or named best or weakest: shown and reliable."""
    return not estimate.is_suppressed and estimate.reliable


def reasons_text(estimate: Estimate) -> str:
    """The rules an unreliable figure fails, joined, in the reader's language ('' if none)."""
    return "; ".join(
        text(REASON_LABELS.get(code, N_("not assessed against the reliability standard")))
        for code in estimate.reasons
    )


def departures(estimate: Estimate) -> list[str]:
    """What this figure does that R's survey package would not, said in the reader's language.

    A group with one respondent has no variance of its own: it is collapsed
    with its nearest group in the campaign's order (named here) instead of
    R's default "adjust"; and where the groups' own variance is below what the
    weights alone imply, Kish's is used.
    """
    if estimate.is_suppressed:
        return []
    out = []
    for lonely, partners in estimate.collapsed:
        if partners:
            out.append(
                text(
                    N_(
                        "%(group)s has one respondent: its variance is estimated together "
                        "with %(partners)s (collapsed groups)"
                    ),
                    group=group_label(lonely),
                    partners=", ".join(group_label(p) for p in partners),
                )
            )
        else:
            out.append(
                text(
                    N_(
                        "%(group)s has one respondent and no group to be collapsed with: "
                        "its variance is taken from its distance to the overall figure"
                    ),
                    group=group_label(lonely),
                )
            )
    if estimate.kish_floor:
        out.append(
            text(
                N_(
                    "standard error from the weights (Kish), larger than the groups' own: "
                    "a small group that answered alike does not make the figure look precise"
                )
            )
        )
    return out


def figure_notes(estimate: Estimate, what: str = "") -> list[str]:
    """Everything a reader needs beside one figure: why unreliable, cautions, departures.

    ``what`` names the figure ("Satisfaction index") where a row has several.
    """
    if estimate.is_suppressed:
        return []
    out = []
    if not estimate.reliable:
        if what:
            out.append(
                text(
                    N_("%(what)s not reliable: %(reasons)s"),
                    what=what,
                    reasons=reasons_text(estimate),
                )
            )
        else:
            out.append(text(N_("not reliable: %(reasons)s"), reasons=reasons_text(estimate)))
    out.extend(text(CAUTION_LABELS[c]) for c in estimate.cautions if c in CAUTION_LABELS)
    out.extend(departures(estimate))
    return out


def row_notes(index: Estimate, share: Estimate) -> list[str]:
    """The notes of a row's index and share satisfied, each said once."""
    seen: list[str] = []
    for estimate, what in ((index, text(N_("Index"))), (share, text(N_("Share satisfied")))):
        for note in figure_notes(estimate, what):
            if note not in seen:
                seen.append(note)
    return seen


def any_unreliable(estimates: Iterable[Estimate]) -> bool:
    """True when any of ``estimates`` is shown but unreliable (a page then explains the mark)."""
    return any(shown_unreliable(e) for e in estimates)
