"""Answers as values: parsing what was typed, which questions are shown, what is stored.

No Flask request here: the respondent pages, the phone console, the IVR and the
demo all turn answers into Answer rows (and back) with these functions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ..instruments import Instrument, Question

CHOICE_TYPES = frozenset({"likert5", "choice", "nps"})


_PHONE_CHARS = re.compile(r"^[0-9+\-\s]+$")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


PHONE_MAX_CHARS = 32  # CallbackRequest.phone


AnswerValue = str | list[str] | float


def parse_number(raw: str) -> float | None:
    """A finite float from the text of a number input, or None (``nan`` and ``inf`` refused)."""
    try:
        number = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def clean_text(text: str) -> str:
    """Browser newlines made plain and control characters dropped (PostgreSQL refuses NUL)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean_phone(raw: str) -> str | None:
    """The phone number with runs of spaces collapsed, or None when it is not plausible."""
    text = " ".join(raw.split())
    if not text or not _PHONE_CHARS.match(text) or len(text) > PHONE_MAX_CHARS:
        return None
    digits = sum(ch.isdigit() for ch in text)
    return text if 5 <= digits <= 20 else None


def number_text(number: float) -> str:
    """How a number answer is kept in Answer.value: ``3`` not ``3.0``."""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else repr(number)


def text_limit(question: Question, max_text: int) -> int:
    """The effective maximum length of a text answer."""
    if question.max_length:
        return min(int(question.max_length), max_text)
    return max_text


def visible_ids(instrument: Instrument, answers: Mapping[str, AnswerValue]) -> set[str]:
    """The questions shown given these answers, in the instrument's order.

    A condition sees only the answers of questions that are themselves shown, so
    a stale answer to a question hidden by a change of mind cannot reveal another.
    """
    kept: dict[str, AnswerValue] = {}
    shown: set[str] = set()
    for question in instrument.questions:
        if question.show_if is not None and not question.show_if.is_met(kept):
            continue
        shown.add(question.id)
        if question.id in answers:
            kept[question.id] = answers[question.id]
    return shown


def answer_columns(question: Question, value: AnswerValue) -> dict[str, Any]:
    """Answer.value, Answer.number and Answer.score for a question's parsed value."""
    if question.type == "multi":
        assert isinstance(value, list)
        return {
            "value": json.dumps(value, ensure_ascii=False),
            "number": None,
            "score": question.score_of(value) if question.is_scored else None,
        }
    if question.type == "number":
        assert isinstance(value, float)
        return {
            "value": number_text(value),
            "number": value,
            "score": question.score_of(value) if question.is_scored else None,
        }
    return {
        "value": value,
        "number": None,
        "score": question.score_of(value) if question.is_scored else None,
    }


def value_of_answer(question: Question, value: str | None, number: float | None) -> AnswerValue:
    """The parsed value back from a stored Answer row (to refill a page or evaluate show-if)."""
    if question.type == "multi":
        try:
            loaded = json.loads(value or "[]")
        except ValueError:
            loaded = []
        return [str(item) for item in loaded] if isinstance(loaded, list) else []
    if question.type == "number":
        if number is not None:
            return float(number)
        return parse_number(value or "") or 0.0
    return value or ""
