"""The instrument as a phone script: what to read aloud, what to note, which options to offer.

An operator works one question per screen. Which question comes next depends
on the answers given so far (show-if), decided here on the server with the
same rule the respondent pages use (:func:`survey.responses.answers.visible_ids`),
so the console works with JavaScript off and never asks a question the
respondent should not hear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..instruments import Instrument, Question, answer_key, localized
from .answers import AnswerValue, number_text, visible_ids

# The pseudo question id of the screen after the last question: "finish the interview".
END = "end"
# Digits 1..9 pick an option by its place in the list; a longer list is picked with the
# arrow keys.
MAX_DIGIT = 9
# On an nps question the digit is the score itself, so that pressing 8 records 8, not the
# eighth option (7). 10 has no digit of its own (it would have to be typed as 1 then 0):
# the arrow keys pick it, as they pick any option without a key.
NPS_DIGITS = tuple(str(score) for score in range(10))


@dataclass(frozen=True)
class ScriptOption:
    """One option as the operator sees it: the key that picks it and whether to read it."""

    key: str  # the digit that picks it, "" when none does
    value: str
    label: str
    read_out: bool


def option_keys(question: Question) -> tuple[str, ...]:
    """The digit that picks each option of ``question``, in order; "" for an option without one.

    The console shows these keys and its script (operator.js) presses the
    option whose key is typed, so both read them from here.
    """
    if question.type == "nps":
        return tuple(
            option.value if option.value in NPS_DIGITS and not option.na else ""
            for option in question.options
        )
    return tuple(
        str(place) if place <= MAX_DIGIT else ""
        for place, _option in enumerate(question.options, start=1)
    )


@dataclass(frozen=True)
class ScriptStep:
    """One screen of the script: a question with its read-aloud text and interviewer note."""

    number: int
    position: int
    total: int
    question: Question
    label: str
    read_aloud: str
    note: str
    options: tuple[ScriptOption, ...]

    @property
    def read_out(self) -> tuple[ScriptOption, ...]:
        """The options to read to the respondent (never the volunteered-only ones)."""
        return tuple(option for option in self.options if option.read_out)

    @property
    def volunteered(self) -> tuple[ScriptOption, ...]:
        """Options recorded only when the respondent offers them ("don't know")."""
        return tuple(option for option in self.options if not option.read_out)


def script_step(
    instrument: Instrument, question: Question, answers: Mapping[str, AnswerValue], lang: str
) -> ScriptStep:
    """The screen for ``question`` in ``lang``: read-aloud text (or the question), note, options.

    ``position`` and ``total`` count the questions to ask given the answers so
    far, so the operator sees how far the call has come.
    """
    fallback = instrument.default_language
    shown = asked(instrument, answers)
    ids = [q.id for q in shown]
    position = ids.index(question.id) + 1 if question.id in ids else len(ids)
    numbers = {q.id: n for n, q in enumerate(instrument.questions, start=1)}
    label = localized(question.text, lang, fallback)
    return ScriptStep(
        number=numbers[question.id],
        position=position,
        total=len(ids),
        question=question,
        label=label,
        read_aloud=localized(question.read_aloud, lang, fallback) or label,
        note=localized(question.interviewer_note, lang, fallback),
        options=tuple(
            ScriptOption(
                key=key,
                value=option.value,
                label=localized(option.text, lang, fallback),
                read_out=option.read_out,
            )
            for key, option in zip(option_keys(question), question.options, strict=True)
        ),
    )


def asked(instrument: Instrument, answers: Mapping[str, AnswerValue]) -> list[Question]:
    """The questions to ask given the answers so far, in the instrument's order."""
    shown = visible_ids(instrument, answers)
    return [question for question in instrument.questions if question.id in shown]


def question_after(
    instrument: Instrument, answers: Mapping[str, AnswerValue], current: str | None
) -> Question | None:
    """The next question to ask after ``current`` (the first when None); None at the end.

    Show-if is evaluated with the answers including the one just given, so a
    follow-up appears right after the answer that opens it.
    """
    order = {q.id: i for i, q in enumerate(instrument.questions)}
    start = order[current] if current in order else -1
    return next((q for q in asked(instrument, answers) if order[q.id] > start), None)


def question_before(
    instrument: Instrument, answers: Mapping[str, AnswerValue], current: str
) -> Question | None:
    """The question asked before ``current`` (the last one from the end screen); None at the top."""
    order = {q.id: i for i, q in enumerate(instrument.questions)}
    limit = order.get(current, len(order))
    earlier = [q for q in asked(instrument, answers) if order[q.id] < limit]
    return earlier[-1] if earlier else None


def resume_at(instrument: Instrument, answers: Mapping[str, AnswerValue]) -> Question | None:
    """Where an interview picks up (a call-back, a reloaded page): the first unanswered question.

    None when every question to ask has an answer: the end screen.
    """
    return next((q for q in asked(instrument, answers) if q.id not in answers), None)


def first_missing(instrument: Instrument, answers: Mapping[str, AnswerValue]) -> Question | None:
    """The first required question to ask that has no answer (a complete interview has none)."""
    return next((q for q in asked(instrument, answers) if q.required and q.id not in answers), None)


def answer_text(question: Question, value: AnswerValue | None, lang: str, fallback: str) -> str:
    """An answer as the operator reads it back: option labels, the number, the text."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(_option_label(question, v, lang, fallback) for v in value)
    if isinstance(value, float):
        return number_text(value)
    return _option_label(question, value, lang, fallback)


def _option_label(question: Question, value: str | float, lang: str, fallback: str) -> str:
    option = question.option(answer_key(value))
    return localized(option.text, lang, fallback) if option is not None else str(value)
