"""When an interview cut short still counts: an instrument's partial-interview threshold.

AAPOR's Standard Definitions (10th edition, 2023) leave the line between a
partial interview (1.2, a response, counted in RR2 and RR4) and a break-off
(2.12, a refusal) to the researcher, to be fixed before fieldwork and
reported: a share of the applicable questions (50% to 80% are usual), the
essential questions answered, or both. Without a line, one answer out of
twenty would be a "partial interview". Each instrument sets its own in its
file (instruments/README.md)::

    [partial]
    share = 0.5          # of the questions asked, show-if applied (phone numbers never count)
    needs = ["overall"]  # questions every partial interview must have answered

Left out, it is half of the applicable questions and no essential question.
An interview below the line is a break-off: the operator records it as one,
and an IVR caller who hangs up below it leaves no response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import AnswerValue, Question

DEFAULT_SHARE = 0.5
_KEYS = frozenset({"share", "needs"})


@dataclass(frozen=True, slots=True)
class PartialRule:
    """The least an interview must hold to be a partial interview rather than a break-off."""

    share: float = DEFAULT_SHARE
    needs: tuple[str, ...] = ()

    def check(
        self, applicable: Iterable[Question], answers: Mapping[str, AnswerValue]
    ) -> PartialCheck:
        """How ``answers`` stand against the rule, over the ``applicable`` questions.

        ``applicable`` is what this channel asks given the answers so far (the
        script's questions with show-if applied, or the keypad's); a phone-number
        question is never stored as an answer, so it is never counted.
        """
        asked = [q for q in applicable if q.type != "phone"]
        answered = sum(1 for q in asked if _given(answers.get(q.id)))
        asked_ids = {q.id for q in asked}
        missing = tuple(
            qid for qid in self.needs if qid in asked_ids and not _given(answers.get(qid))
        )
        # A needed question the channel never asks (hidden by show-if) cannot be missing;
        # one it asks and that has no answer is.
        return PartialCheck(answered=answered, applicable=len(asked), missing=missing, rule=self)


@dataclass(frozen=True, slots=True)
class PartialCheck:
    """Answers given against the rule: enough for a partial interview, or a break-off."""

    answered: int
    applicable: int
    missing: tuple[str, ...]
    rule: PartialRule

    @property
    def needed(self) -> int:
        """How many answers the share asks for, and at least one.

        share x applicable rounded up, in whole thousandths of the share, so that
        0.5 of 6 is exactly 3 and no float rounding moves the line.
        """
        thousandths = round(self.rule.share * 1000) * self.applicable
        return max(1, -(-thousandths // 1000))

    @property
    def enough(self) -> bool:
        """Whether this is a partial interview (else a break-off)."""
        return not self.missing and self.answered >= self.needed


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != []


def parse_partial(
    value: Any,
    questions: Mapping[str, Question],
    fail: Callable[[str, str], Exception],
) -> PartialRule:
    """The ``[partial]`` table of an instrument file; ``fail(field, problem)`` makes the error."""
    if value is None:
        return PartialRule()
    if not isinstance(value, dict):
        raise fail("partial", "must be a table with share and/or needs")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise fail(f"partial.{unknown[0]}", f"unknown key (expected one of {sorted(_KEYS)})")
    share = value.get("share", DEFAULT_SHARE)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise fail("partial.share", "must be a number from 0 to 1 (a share of the questions asked)")
    needs = value.get("needs", [])
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        raise fail("partial.needs", "must be a list of question ids")
    for qid in needs:
        question = questions.get(qid)
        if question is None:
            raise fail("partial.needs", f"refers to '{qid}', which is not a question of this file")
        if question.type == "phone":
            raise fail("partial.needs", f"'{qid}' is a phone number, never stored as an answer")
    if share == 0 and not needs:
        raise fail("partial.share", "0 needs at least one question in needs")
    return PartialRule(share=float(share), needs=tuple(needs))
