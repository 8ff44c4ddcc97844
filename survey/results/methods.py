"""The technical notes beside the figures: how they are made and how to read them.

One text for the methods page and the PDF report, written as a statistical
agency writes its technical notes: what the index and the share satisfied
are, how the groups are weighted (the weighting line's columns named), what a
95% interval means, why a figure is withheld or marked unreliable, and where
the published figures depart from R's survey package. Every sentence is a
msgid, read in the reader's language by :func:`methods_notes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import N_, text
from .options import PUBLISHED


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and its paragraphs, in the reader's language."""

    heading: str
    paragraphs: tuple[str, ...]


def methods_notes(k: int) -> tuple[Section, ...]:
    """The notes, with the small-cell threshold ``k`` and the published level filled in.

    Long because it is the text itself, one sentence per msgid, in reading order.
    """
    level = f"{PUBLISHED.level:.0%}"
    return (
        Section(
            text(N_("Satisfaction index")),
            (
                text(
                    N_(
                        "Each answer on the five-level scale is scored: very satisfied 100, "
                        "satisfied 75, basically satisfied 50, dissatisfied 25, very "
                        "dissatisfied 0 (the scores are set in the questionnaire file and "
                        "recorded with its version). A 0-10 question is scored ten times its "
                        'answer; a yes / partly / no question 100, 50 and 0. "Not familiar" '
                        "and unanswered questions are left out."
                    )
                ),
                text(
                    N_(
                        "A respondent's score on an indicator is the mean of the scores of the "
                        "questions feeding it that they answered. The index of a unit is the "
                        "weighted mean of its respondent groups' mean scores: a mean of the "
                        "scores 100/75/50/25/0, on a scale of 0 to 100."
                    )
                ),
            ),
        ),
        Section(
            text(N_("Share satisfied")),
            (
                text(
                    N_(
                        "The weighted share of respondents whose score on the indicator is 50 "
                        "or more. On the five-level scale that is basically satisfied or "
                        "better, the good reviews of the government-service good/bad-review "
                        "practice; dissatisfied and very dissatisfied are bad reviews. On a "
                        "0-10 question it is an answer of 5 or more; on a yes / partly / no "
                        "question, yes or partly. For an indicator fed by several questions "
                        "it is the respondent's mean score that is compared with 50."
                    )
                ),
            ),
        ),
        Section(
            text(N_("Whose opinion: two dimensions, never pooled")),
            (
                text(
                    N_(
                        "The satisfaction of the people served (service users and the general "
                        "public) and of the stakeholders who evaluate the unit from outside "
                        "(deputies, CPPCC members, retired cadres, experts, supervising "
                        "departments, democratic parties) forms the published index. The "
                        "opinion of the unit's own staff on their unit is published apart, "
                        "as a dimension of its own, and never enters that index."
                    )
                ),
            ),
        ),
        Section(
            text(N_("Weighting")),
            (
                text(
                    N_(
                        "The respondent groups are the strata of the estimate. Each group's "
                        "mean is combined with a weight W_h: the campaign's policy weights, "
                        "renormalised over the groups present in the figure, or, where the "
                        "campaign publishes with population weights, the groups' shares N_h/N "
                        "of their populations."
                    )
                ),
                text(
                    N_(
                        "The weighting line under the figures lists, for every group in the "
                        "figure: the group's name; W_h, its weight in this figure (the shares "
                        "add up to 1); and in brackets the policy weight as set for the "
                        'campaign, then the group\'s population N ("N not set" where none '
                        "was given)."
                    )
                ),
            ),
        ),
        Section(
            text(N_("Intervals")),
            (
                text(
                    N_(
                        "A %(level)s confidence interval is a range worked out from the sample "
                        "so that, in %(level)s of samples drawn the same way, it would contain "
                        "the figure of everyone the groups stand for; it shows sampling error "
                        "only, not the effect of who chose not to answer."
                    ),
                    level=level,
                ),
                text(
                    N_(
                        "The variance is that of a stratified sample, with the finite "
                        "population correction where the group's population is known, and "
                        "its degrees of freedom are n - H (the number of respondents less the "
                        "number of groups), as R's survey package gives them. The index's "
                        "interval is computed on the logit scale, so it stays within 0-100; "
                        "the share's is Wilson's interval on the effective sample size."
                    )
                ),
                text(
                    N_(
                        "Two rules differ from R's survey package, because in simulations of "
                        "small, mostly satisfied groups R's intervals covered the truth less "
                        "often than they claim (bench/bench_coverage.py): a group with a "
                        "single respondent has no variance of its own and is joined for the "
                        "variance to the nearest group in the campaign's group order "
                        "(collapsed groups; R's default would guess it from one deviation); "
                        "and the standard error is never taken below what the weights alone "
                        "imply (Kish), since a small group that happens to answer alike shows "
                        "a variance of 0. Where either happens the figure says so."
                    )
                ),
            ),
        ),
        Section(
            text(N_("Withheld figures")),
            (
                text(
                    N_(
                        'A figure of fewer than %(k)s respondents is withheld ("suppressed"), '
                        "so that no respondent's answers can be recognised. Beside it, the "
                        "next smallest figure of the same total is withheld too, so that the "
                        "first cannot be worked out by subtraction."
                    ),
                    k=k,
                ),
            ),
        ),
        Section(
            text(N_("Reliability standard")),
            (
                text(
                    N_(
                        "A figure that is shown may still be too imprecise to be read on its "
                        "own. Following the NCHS Data Presentation Standards for Proportions "
                        "(2017), a share satisfied is reliable when its effective sample size "
                        "is at least 30, its Korn-Graubard interval is narrower than 30 "
                        "points, that interval is no wider than 1.3 times the share (when "
                        "wider than 5 points), and it rests on at least 8 degrees of freedom. An "
                        "index is reliable under the same effective sample size, degrees of "
                        "freedom and width rules and a relative standard error of at most 30 "
                        "percent. "
                        "The weights alone must also be worth 30 respondents, so that a tiny "
                        "group carrying much of the weight cannot make a figure look precise."
                    )
                ),
                text(
                    N_(
                        "A figure that fails is shown greyed and marked †, with the rules it "
                        "fails under its table. It is never ranked, and never named strongest "
                        "or weakest. An item is named strongest or weakest only where its "
                        "difference from the weakest (or strongest) reliable item has a "
                        "%(level)s interval that excludes zero."
                    ),
                    level=level,
                ),
            ),
        ),
        Section(
            text(N_("Year on year")),
            (
                text(
                    N_(
                        "Each calendar year is estimated on its own. A change is the later "
                        "year's figure less the earlier one's, with its %(level)s interval; "
                        "it is called higher or lower only when that interval excludes zero. "
                        "Where the groups that answered differ between the two years, the "
                        "change is worked out on the groups present in both, with the same "
                        "weights for both years, and the groups left out are named beside it."
                    ),
                    level=level,
                ),
            ),
        ),
    )
