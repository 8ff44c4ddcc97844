"""What an instrument is once loaded: frozen questions, options, pages and conditions.

Frozen dataclasses, so that an instrument cached for the life of the process can
be shared by every request without anyone changing it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .partial import PartialRule

KNOWN_LANGUAGES = ("zh_Hans", "zh_Hant", "en")
QUESTION_TYPES = ("likert5", "choice", "multi", "nps", "number", "text", "phone")
# Types whose answers can feed an indicator: each answer maps to one score.
SCORED_TYPES = ("likert5", "choice", "nps")
# Types that may list their own options in the file.
OPTION_TYPES = ("likert5", "choice", "multi", "nps")
# Types whose answers a show-if condition can test.
CONDITION_TYPES = ("likert5", "choice", "multi", "nps", "number")
LIKERT_LEVELS = 5
NPS_VALUES = tuple(str(i) for i in range(11))
SCORE_MIN, SCORE_MAX = 0.0, 100.0
DEFAULT_SATISFIED_AT = 80.0
DEFAULT_MAX_LENGTH = 1000
# The indicator whose two lowest levels are a bad review, in an instrument with follow_up.
OVERALL_INDICATOR = "satisfaction.overall"

Text = Mapping[str, str]
AnswerValue = str | list[str] | float | None


class InstrumentError(ValueError):
    """A problem in an instrument file, located by file, question and field.

    ``str(error)`` is ``f"{file}:{question or '-'}: {problem}"`` and ``problem``
    starts with ``field 'name': `` when a field is known, so one line tells the
    author where to look, in an editor, in CI and in ``flask survey instruments check``.
    """

    def __init__(self, file: str, question: str | None, field: str | None, problem: str) -> None:
        self.file = file
        self.question = question
        self.field = field
        self.problem = f"field '{field}': {problem}" if field else problem
        super().__init__(f"{file}:{question or '-'}: {self.problem}")


def localized(text: Text | None, lang: str, fallback: str = "zh_Hans") -> str:
    """The text in ``lang``, else in ``fallback``, else any; '' for no text.

    Validation guarantees every declared language, so the fallbacks only matter for
    a language the instrument does not declare (a visitor's browser asking for it).
    """
    if not text:
        return ""
    return text.get(lang) or text.get(fallback) or next(iter(text.values()), "")


def answer_key(value: str | float) -> str:
    """An answer as the option value it stands for: 7.0 and "7" are both "7".

    Numbers arrive as floats from forms and as strings from stored answers; options
    (nps 0-10 included) are keyed by strings.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(value: Any) -> float | None:
    """A finite number from an answer, or None (text, bool, NaN, infinities)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Option:
    """One answer option. ``na`` marks "don't know / not applicable", left out of scores.

    ``read_out = False`` tells the phone operator not to read it aloud: offering
    "don't know" out loud invites it, so it is recorded only when volunteered.
    """

    value: str
    text: Text
    score: float | None = None
    na: bool = False
    read_out: bool = True


@dataclass(frozen=True)
class ShowIf:
    """Ask a question only when an earlier answer meets this condition.

    Either ``any_of`` (option values; a multi answer meets it if any chosen value is
    listed) or a range ``at_least``/``at_most`` for a number or nps answer. An
    unanswered question meets no condition, so a follow-up never appears by accident.
    Conditions are evaluated on the server, so they work with JavaScript off.
    """

    question: str
    any_of: tuple[str, ...] = ()
    at_least: float | None = None
    at_most: float | None = None

    def is_met(self, answers: Mapping[str, AnswerValue]) -> bool:
        given = answers.get(self.question)
        if given is None or given == "" or given == []:
            return False
        if self.any_of:
            chosen = given if isinstance(given, list) else [given]
            return any(answer_key(v) in self.any_of for v in chosen)
        number = None if isinstance(given, list) else _as_number(given)
        if number is None:
            return False
        if self.at_least is not None and number < self.at_least:
            return False
        return self.at_most is None or number <= self.at_most


@dataclass(frozen=True)
class Question:
    """One question, with everything the web page, the phone console and scoring need."""

    id: str
    type: str
    text: Text
    page_id: str
    read_aloud: Text | None = None
    interviewer_note: Text | None = None
    hint: Text | None = None
    options: tuple[Option, ...] = ()
    required: bool = False
    show_if: ShowIf | None = None
    indicator: str | None = None
    weight: float = 1.0
    min: float | None = None
    max: float | None = None
    max_length: int | None = None

    @property
    def is_scored(self) -> bool:
        """Whether answers to this question feed an indicator."""
        return self.indicator is not None

    @property
    def is_stored_as_answer(self) -> bool:
        """False for a phone question: the number is kept on the contact side, never here."""
        return self.type != "phone"

    def option(self, value: str) -> Option | None:
        """The option with this value, or None (an unknown value is never an error here)."""
        return next((o for o in self.options if o.value == value), None)

    def score_of(self, value: AnswerValue) -> float | None:
        """The item score of an answer, or None (unscored, "don't know", unanswered, unknown)."""
        if not self.is_scored or value is None or isinstance(value, list):
            return None
        option = self.option(answer_key(value))
        return None if option is None or option.na else option.score

    def is_visible(self, answers: Mapping[str, AnswerValue]) -> bool:
        """Whether to ask this question given the answers so far."""
        return self.show_if is None or self.show_if.is_met(answers)


@dataclass(frozen=True)
class Page:
    """A page of questions: the unit saved at once, so a long questionnaire can resume."""

    id: str
    title: Text | None
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire, identified by ``id`` and by ``version`` (its content hash)."""

    id: str
    title: Text
    intro: Text | None
    languages: tuple[str, ...]
    satisfied_at: float
    pages: tuple[Page, ...]
    version: str
    source: str = field(repr=False)
    path: str = ""
    # Whether a bad review on it opens a follow-up case for the unit's handler
    # (survey.followup): true only for a service user's rating of one service.
    follow_up: bool = False
    # The least an interview cut short must hold to count as partial (survey.instruments.partial).
    partial: PartialRule = PartialRule()

    @property
    def default_language(self) -> str:
        """The first declared language (zh_Hans in every shipped file)."""
        return self.languages[0]

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """Every question in file order, across pages (made once: a card's POST asked 20 times)."""
        return tuple(q for page in self.pages for q in page.questions)

    @cached_property
    def _by_id(self) -> dict[str, Question]:
        return {q.id: q for q in reversed(self.questions)}  # the first of an id, as before

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError if there is none."""
        found = self._by_id.get(question_id)
        if found is None:
            raise KeyError(f"instrument {self.id!r} has no question {question_id!r}")
        return found

    def page(self, page_id: str) -> Page:
        """The page with this id; KeyError if there is none."""
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(f"instrument {self.id!r} has no page {page_id!r}")

    @property
    def indicators(self) -> tuple[str, ...]:
        """The indicator names the questions feed, sorted."""
        return tuple(sorted({q.indicator for q in self.questions if q.indicator}))

    def visible_questions(self, answers: Mapping[str, AnswerValue]) -> tuple[Question, ...]:
        """The questions to ask given the answers so far (show-if applied), in order."""
        return tuple(q for q in self.questions if q.is_visible(answers))

    def text(self, lang: str) -> str:
        """The title in ``lang`` (falling back to the default language)."""
        return localized(self.title, lang, self.default_language)
