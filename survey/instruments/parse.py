"""Questionnaire files ("instruments"): load, validate, and turn into immutable objects.

An instrument is a TOML file under instruments/, reviewed like code. Loading
validates everything up front and fails with ``file:question: field 'name': problem``,
so a mistake is caught by ``flask survey instruments check`` before a single
respondent sees it. An instrument is versioned by the SHA-256 of its file's bytes:
a response records the exact version it answered, and the stored text of that
version can be parsed again (``parse_instrument``) to read old answers against the
questionnaire that was actually shown.

The objects are frozen dataclasses so that an instrument cached for the life of
the process can be shared by every request without anyone changing it.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .model import (
    CONDITION_TYPES,
    DEFAULT_MAX_LENGTH,
    DEFAULT_SATISFIED_AT,
    KNOWN_LANGUAGES,
    LIKERT_LEVELS,
    NPS_VALUES,
    OPTION_TYPES,
    OVERALL_INDICATOR,
    QUESTION_TYPES,
    SCORE_MAX,
    SCORE_MIN,
    SCORED_TYPES,
    Instrument,
    InstrumentError,
    Option,
    Page,
    Question,
    ShowIf,
    Text,
)
from .partial import PartialRule, parse_partial
from .wording import optional_marker

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_INDICATOR = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_TOP_KEYS = frozenset(
    {"id", "languages", "satisfied_at", "follow_up", "partial"}
    | {"title", "intro", "scale", "pages"}
)
_PAGE_KEYS = frozenset({"id", "title", "questions"})
_QUESTION_KEYS = frozenset(
    {
        "id",
        "type",
        "text",
        "hint",
        "read_aloud",
        "interviewer_note",
        "options",
        "required",
        "show_if",
        "indicator",
        "weight",
        "min",
        "max",
        "max_length",
    }
)
_OPTION_KEYS = frozenset({"value", "text", "score", "na", "read_out"})
_SHOW_IF_KEYS = frozenset({"question", "any_of", "at_least", "at_most"})


def _is_number(value: Any) -> bool:
    """A TOML integer or float (booleans are ints in Python but not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Parser:
    """Turns the TOML document into objects, raising on the first problem found.

    A class only to carry the file name and declared languages to every check.
    """

    def __init__(self, file: str, data: dict[str, Any]) -> None:
        self.file = file
        self.data = data
        self.languages: tuple[str, ...] = ()
        self.partial = PartialRule()

    def fail(self, question: str | None, field_name: str | None, problem: str) -> InstrumentError:
        return InstrumentError(self.file, question, field_name, problem)

    def unknown_keys(
        self, data: dict[str, Any], allowed: frozenset[str], question: str | None, prefix: str
    ) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                question,
                f"{prefix}{unknown[0]}",
                f"unknown key (expected one of {sorted(allowed)})",
            )

    def text(self, value: Any, question: str | None, field_name: str, *, required: bool) -> Any:
        """A multilingual text: a table with a non-empty string for each declared language."""
        if value is None:
            if required:
                raise self.fail(question, field_name, "missing (a table of texts per language)")
            return None
        if not isinstance(value, dict):
            raise self.fail(
                question,
                field_name,
                f"must be a table of texts per language {list(self.languages)}",
            )
        for lang in value:
            if lang not in self.languages:
                raise self.fail(question, field_name, f"language '{lang}' is not declared")
        for lang in self.languages:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(question, field_name, f"missing translation for '{lang}'")
            if field_name == "text" and (problem := optional_marker(lang, text)):
                raise self.fail(question, field_name, problem)
        return dict(value)

    def parse(self) -> tuple[str, Text, Text | None, float, bool, tuple[Page, ...]]:
        data = self.data
        self.unknown_keys(data, _TOP_KEYS, None, "")
        instrument_id = self.instrument_id(data.get("id"))
        self.languages = self.declared_languages(data.get("languages"))
        satisfied_at = data.get("satisfied_at", DEFAULT_SATISFIED_AT)
        if not _is_number(satisfied_at) or not SCORE_MIN <= satisfied_at <= SCORE_MAX:
            raise self.fail(
                None, "satisfied_at", "must be a number from 0 to 100 (the score scale)"
            )
        follow_up = data.get("follow_up", False)
        if not isinstance(follow_up, bool):
            raise self.fail(None, "follow_up", "must be true or false")
        title = self.text(data.get("title"), None, "title", required=True)
        intro = self.text(data.get("intro"), None, "intro", required=False)
        scale = self.scale(data.get("scale"))
        pages_data = data.get("pages")
        if not isinstance(pages_data, list) or not pages_data:
            raise self.fail(None, "pages", "at least one [[pages]] table is required")
        pages: list[Page] = []
        seen: dict[str, Question] = {}
        for index, page_data in enumerate(pages_data, start=1):
            page = self.page(page_data, index, scale, seen)
            if any(p.id == page.id for p in pages):
                raise self.fail(None, f"pages[{index}].id", f"duplicate page id '{page.id}'")
            pages.append(page)
        if follow_up and not any(q.indicator == OVERALL_INDICATOR for q in seen.values()):
            raise self.fail(
                None,
                "follow_up",
                f"needs a question feeding {OVERALL_INDICATOR}: its two lowest levels are"
                " a bad review",
            )
        self.partial = parse_partial(
            data.get("partial"), seen, lambda name, problem: self.fail(None, name, problem)
        )
        return instrument_id, title, intro, float(satisfied_at), follow_up, tuple(pages)

    def instrument_id(self, value: Any) -> str:
        if not isinstance(value, str) or not _SLUG.match(value):
            raise self.fail(None, "id", "must be a lowercase slug such as 'post-service-card'")
        stem = Path(self.file).stem
        if stem != value:
            raise self.fail(None, "id", f"'{value}' must equal the file name '{stem}'")
        return value

    def declared_languages(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(None, "languages", "must list the languages, zh_Hans first")
        for lang in value:
            if lang not in KNOWN_LANGUAGES:
                raise self.fail(
                    None, "languages", f"unknown language {lang!r} (expected {KNOWN_LANGUAGES})"
                )
        if "zh_Hans" not in value:
            raise self.fail(None, "languages", "zh_Hans is required")
        if len(set(value)) != len(value):
            raise self.fail(None, "languages", "a language is listed twice")
        return tuple(value)

    def scale(self, value: Any) -> tuple[Option, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict) or set(value) != {"options"}:
            raise self.fail(None, "scale", "must be a table with only 'options'")
        options = self.options(value["options"], None, scored=True, field_name="scale.options")
        self.check_likert(options, None, "scale.options")
        return options

    def options(
        self, value: Any, question: str | None, *, scored: bool, field_name: str = "options"
    ) -> tuple[Option, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(question, field_name, "must be a non-empty list of options")
        options: list[Option] = []
        for index, item in enumerate(value, start=1):
            option = self.option(item, question, scored, f"{field_name}[{index}]")
            if any(o.value == option.value for o in options):
                raise self.fail(question, field_name, f"duplicate option value '{option.value}'")
            options.append(option)
        return tuple(options)

    def option(self, item: Any, question: str | None, scored: bool, where: str) -> Option:
        if not isinstance(item, dict):
            raise self.fail(question, where, "each option must be a table")
        self.unknown_keys(item, _OPTION_KEYS, question, f"{where}.")
        value = item.get("value")
        if not isinstance(value, str) or not _SLUG.match(value):
            raise self.fail(question, f"{where}.value", "must be a lowercase slug")
        where = f"{where.rsplit('[', 1)[0]}[{value}]"
        text = self.text(item.get("text"), question, f"{where}.text", required=True)
        na, read_out = item.get("na", False), item.get("read_out", True)
        if not isinstance(na, bool):
            raise self.fail(question, f"{where}.na", "must be true or false")
        if not isinstance(read_out, bool):
            raise self.fail(question, f"{where}.read_out", "must be true or false")
        score = item.get("score")
        if score is not None:
            if not _is_number(score) or not SCORE_MIN <= score <= SCORE_MAX:
                raise self.fail(question, f"{where}.score", "must be a number from 0 to 100")
            if na:
                raise self.fail(question, f"{where}.score", "an na option is left out of scores")
        if scored and not na and score is None:
            raise self.fail(
                question, f"{where}.score", "option without score (give one, or mark it na = true)"
            )
        return Option(
            value=value,
            text=text,
            score=None if score is None else float(score),
            na=na,
            read_out=read_out,
        )

    def check_likert(self, options: tuple[Option, ...], question: str | None, where: str) -> None:
        """A likert5 scale has exactly five levels besides any "don't know" (na) options."""
        levels = [o for o in options if not o.na]
        if len(levels) != LIKERT_LEVELS:
            raise self.fail(
                question, where, f"a likert5 scale needs 5 levels besides na, not {len(levels)}"
            )

    def page(
        self, data: Any, index: int, scale: tuple[Option, ...], seen: dict[str, Question]
    ) -> Page:
        where = f"pages[{index}]"
        if not isinstance(data, dict):
            raise self.fail(None, where, "must be a table")
        self.unknown_keys(data, _PAGE_KEYS, None, f"{where}.")
        page_id = data.get("id", f"p{index}")
        if not isinstance(page_id, str) or not _SLUG.match(page_id):
            raise self.fail(None, f"{where}.id", "must be a lowercase slug")
        title = self.text(data.get("title"), None, f"{where}.title", required=False)
        questions_data = data.get("questions")
        if not isinstance(questions_data, list) or not questions_data:
            raise self.fail(None, f"{where}.questions", "a page needs [[pages.questions]]")
        questions = []
        for number, item in enumerate(questions_data, start=1):
            question = self.question(item, f"{where}.questions[{number}]", page_id, scale, seen)
            seen[question.id] = question
            questions.append(question)
        return Page(id=page_id, title=title, questions=tuple(questions))

    def question(
        self,
        data: Any,
        where: str,
        page_id: str,
        scale: tuple[Option, ...],
        seen: Mapping[str, Question],
    ) -> Question:
        if not isinstance(data, dict):
            raise self.fail(None, where, "each question must be a table")
        qid = data.get("id")
        if not isinstance(qid, str) or not _SLUG.match(qid):
            raise self.fail(None, f"{where}.id", f"question id {qid!r} must be a lowercase slug")
        self.unknown_keys(data, _QUESTION_KEYS, qid, "")
        if qid in seen:
            raise self.fail(qid, "id", "duplicate question id")
        qtype = data.get("type")
        if qtype not in QUESTION_TYPES:
            raise self.fail(
                qid, "type", f"unknown type {qtype!r} (expected one of {list(QUESTION_TYPES)})"
            )
        indicator, weight = self.indicator(data, qid, qtype)
        required = data.get("required", False)
        if not isinstance(required, bool):
            raise self.fail(qid, "required", "must be true or false")
        if required and qtype == "phone":
            raise self.fail(
                qid, "required", "a phone number is never required: answers stay anonymous"
            )
        low, high = self.range(data, qid, qtype)
        return Question(
            id=qid,
            type=qtype,
            text=self.text(data.get("text"), qid, "text", required=True),
            page_id=page_id,
            read_aloud=self.text(data.get("read_aloud"), qid, "read_aloud", required=False),
            interviewer_note=self.text(
                data.get("interviewer_note"), qid, "interviewer_note", required=False
            ),
            hint=self.text(data.get("hint"), qid, "hint", required=False),
            options=self.question_options(data, qid, qtype, scale, scored=indicator is not None),
            required=required,
            show_if=self.show_if(data.get("show_if"), qid, seen),
            indicator=indicator,
            weight=weight,
            min=low,
            max=high,
            max_length=self.max_length(data.get("max_length"), qid, qtype),
        )

    def indicator(self, data: dict[str, Any], qid: str, qtype: str) -> tuple[str | None, float]:
        indicator = data.get("indicator")
        if indicator is not None:
            if not isinstance(indicator, str) or not _INDICATOR.match(indicator):
                raise self.fail(
                    qid, "indicator", "must be dotted lowercase words like 'satisfaction.overall'"
                )
            if qtype not in SCORED_TYPES:
                raise self.fail(
                    qid,
                    "indicator",
                    f"a {qtype} question cannot feed an indicator ({SCORED_TYPES})",
                )
        weight = data.get("weight", 1.0)
        if not _is_number(weight) or weight <= 0:
            raise self.fail(qid, "weight", "must be a number greater than 0")
        if "weight" in data and indicator is None:
            raise self.fail(qid, "weight", "only a question with an indicator has a weight")
        return indicator, float(weight)

    def question_options(
        self,
        data: dict[str, Any],
        qid: str,
        qtype: str,
        scale: tuple[Option, ...],
        *,
        scored: bool,
    ) -> tuple[Option, ...]:
        if "options" in data:
            if qtype not in OPTION_TYPES:
                raise self.fail(qid, "options", f"a {qtype} question takes no options")
            options = self.options(data["options"], qid, scored=scored)
        elif qtype == "likert5":
            if not scale:
                raise self.fail(qid, "options", "a likert5 question without options needs [scale]")
            return scale
        elif qtype in ("choice", "multi"):
            raise self.fail(qid, "options", f"a {qtype} question needs options")
        elif qtype == "nps":
            # 0 to 10, scored 0 to 100 so it sits on the same scale as every other item.
            return tuple(
                Option(value=v, text=dict.fromkeys(self.languages, v), score=int(v) * 10.0)
                for v in NPS_VALUES
            )
        else:
            return ()
        if qtype == "likert5":
            self.check_likert(options, qid, "options")
        if qtype == "nps" and tuple(o.value for o in options if not o.na) != NPS_VALUES:
            raise self.fail(qid, "options", "nps options must be the values '0' to '10' in order")
        return options

    def range(
        self, data: dict[str, Any], qid: str, qtype: str
    ) -> tuple[float | None, float | None]:
        low, high = data.get("min"), data.get("max")
        if qtype == "nps":
            if low is not None or high is not None:
                raise self.fail(qid, "min" if low is not None else "max", "nps is always 0 to 10")
            return 0.0, 10.0
        for name, value in (("min", low), ("max", high)):
            if value is None:
                continue
            if qtype != "number":
                raise self.fail(qid, name, "min and max are only for number questions")
            if not _is_number(value):
                raise self.fail(qid, name, "must be a number")
        if low is not None and high is not None and low > high:
            raise self.fail(qid, "min", f"min {low} is greater than max {high}")
        return (None if low is None else float(low), None if high is None else float(high))

    def max_length(self, value: Any, qid: str, qtype: str) -> int | None:
        if value is None:
            return DEFAULT_MAX_LENGTH if qtype == "text" else None
        if qtype != "text":
            raise self.fail(qid, "max_length", "only for text questions")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(qid, "max_length", "must be a whole number of characters >= 1")
        return value

    def show_if(self, value: Any, qid: str, seen: Mapping[str, Question]) -> ShowIf | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(
                qid, "show_if", 'must be a table like { question = "...", any_of = [...] }'
            )
        self.unknown_keys(value, _SHOW_IF_KEYS, qid, "show_if.")
        target = value.get("question")
        if not isinstance(target, str):
            raise self.fail(qid, "show_if.question", "must name an earlier question")
        if target == qid:
            raise self.fail(qid, "show_if.question", "a question cannot depend on itself")
        if target not in seen:
            raise self.fail(
                qid, "show_if.question", f"refers to '{target}', which is unknown or comes later"
            )
        earlier = seen[target]
        if earlier.type not in CONDITION_TYPES:
            raise self.fail(
                qid, "show_if.question", f"cannot depend on the {earlier.type} question '{target}'"
            )
        if "any_of" in value:
            return ShowIf(question=target, any_of=self.any_of(value, qid, earlier))
        return self.number_condition(value, qid, earlier)

    def any_of(self, value: dict[str, Any], qid: str, earlier: Question) -> tuple[str, ...]:
        any_of = value["any_of"]
        if "at_least" in value or "at_most" in value:
            raise self.fail(qid, "show_if", "give any_of or at_least/at_most, not both")
        if (
            not isinstance(any_of, list)
            or not any_of
            or not all(isinstance(v, str) for v in any_of)
        ):
            raise self.fail(qid, "show_if.any_of", "must be a non-empty list of option values")
        if not earlier.options:
            raise self.fail(
                qid, "show_if.any_of", f"'{earlier.id}' has no options: use at_least/at_most"
            )
        offered = {o.value for o in earlier.options}
        for v in any_of:
            if v not in offered:
                raise self.fail(qid, "show_if.any_of", f"'{v}' is not an option of '{earlier.id}'")
        return tuple(any_of)

    def number_condition(self, value: dict[str, Any], qid: str, earlier: Question) -> ShowIf:
        low, high = value.get("at_least"), value.get("at_most")
        if low is None and high is None:
            raise self.fail(qid, "show_if", "needs any_of, or at_least and/or at_most")
        if earlier.type not in ("number", "nps"):
            raise self.fail(
                qid,
                "show_if",
                f"at_least/at_most need a number or nps question, not {earlier.type}",
            )
        for name, bound in (("at_least", low), ("at_most", high)):
            if bound is not None and not _is_number(bound):
                raise self.fail(qid, f"show_if.{name}", "must be a number")
        if low is not None and high is not None and low > high:
            raise self.fail(qid, "show_if.at_least", f"{low} is greater than at_most {high}")
        return ShowIf(
            question=earlier.id,
            at_least=None if low is None else float(low),
            at_most=None if high is None else float(high),
        )


def parse_instrument(text: str, *, file: str) -> Instrument:
    """An instrument from the text of its file (``file`` names it in error messages).

    Used for files on disk and for the stored text of a version answered earlier
    (pass ``file=f"{id}.toml"``: the id must equal the file stem); the version is the
    SHA-256 of the UTF-8 text, i.e. of the file's bytes.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(file, None, None, f"not valid TOML: {error}") from error
    parser = _Parser(file, data)
    instrument_id, title, intro, satisfied_at, follow_up, pages = parser.parse()
    return Instrument(
        id=instrument_id,
        title=title,
        intro=intro,
        languages=parser.languages,
        satisfied_at=satisfied_at,
        pages=pages,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=text,
        path=file,
        follow_up=follow_up,
        partial=parser.partial,
    )
