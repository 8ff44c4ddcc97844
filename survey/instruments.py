"""Questionnaire files ("instruments"): load, validate, and turn into immutable objects.

An instrument is a TOML file under instruments/, reviewed like code. Loading
validates everything up front and fails with ``file:question: problem`` naming
the field, so a mistake is caught by ``flask survey instruments check`` before a
single respondent sees it. An instrument is versioned by the SHA-256 of its
file: a response records the exact version it answered, and the stored text of
that version can be parsed again (``parse_instrument``) to read old answers.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KNOWN_LANGUAGES = ("zh_Hans", "zh_Hant", "en")
QUESTION_TYPES = ("likert5", "choice", "multi", "nps", "number", "text", "phone")
SCORED_TYPES = ("likert5", "choice", "nps")
OPTION_TYPES = ("likert5", "choice", "multi")

Text = Mapping[str, str]
AnswerValue = str | list[str] | float | None

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_INDICATOR = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_TOP_KEYS = {"id", "languages", "satisfied_at", "title", "intro", "scale", "pages"}
_PAGE_KEYS = {"id", "title", "questions"}
_QUESTION_KEYS = {
    "id",
    "type",
    "text",
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
    "hint",
}
_OPTION_KEYS = {"value", "text", "score", "na", "read_out"}
DEFAULT_MAX_LENGTH = 1000


class InstrumentError(ValueError):
    """A problem in an instrument file, located by file, question and field."""

    def __init__(self, file: str, question: str | None, field: str | None, problem: str) -> None:
        self.file = file
        self.question = question
        self.field = field
        self.problem = problem
        where = f"field '{field}': " if field else ""
        super().__init__(f"{file}:{question or '-'}: {where}{problem}")


def localized(text: Text | None, lang: str, fallback: str = "zh_Hans") -> str:
    """The text in ``lang``, else in the fallback language, else any; '' for no text."""
    if not text:
        return ""
    return text.get(lang) or text.get(fallback) or next(iter(text.values()), "")


@dataclass(frozen=True)
class Option:
    """One answer option. ``na`` marks "don't know / not applicable", left out of scores."""

    value: str
    text: Text
    score: float | None = None
    na: bool = False
    read_out: bool = True


@dataclass(frozen=True)
class ShowIf:
    """Show a question only when an earlier question's answer is one of ``any_of``."""

    question: str
    any_of: tuple[str, ...]

    def is_met(self, answers: Mapping[str, AnswerValue]) -> bool:
        given = answers.get(self.question)
        if given is None or given == "":
            return False
        if isinstance(given, list):
            return any(str(v) in self.any_of for v in given)
        if isinstance(given, float) and given.is_integer():
            given = int(given)
        return str(given) in self.any_of


@dataclass(frozen=True)
class Question:
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

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def score_of(self, value: AnswerValue) -> float | None:
        """The item score of an answer, or None (unscored, "don't know", unanswered)."""
        if value is None or value == "" or not self.is_scored:
            return None
        if self.options:
            option = self.option(str(value)) if not isinstance(value, list) else None
            return None if option is None or option.na else option.score
        if self.type == "nps":
            try:
                return float(value) * 10.0  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return None
        return None


@dataclass(frozen=True)
class Page:
    id: str
    title: Text | None
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Instrument:
    id: str
    title: Text
    intro: Text | None
    languages: tuple[str, ...]
    satisfied_at: float
    pages: tuple[Page, ...]
    version: str
    source: str = field(repr=False)
    path: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for page in self.pages for q in page.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"instrument {self.id!r} has no question {question_id!r}")

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(sorted({q.indicator for q in self.questions if q.indicator}))

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(f"instrument {self.id!r} has no page {page_id!r}")

    def visible_questions(self, answers: Mapping[str, AnswerValue]) -> tuple[Question, ...]:
        """The questions to ask given the answers so far (show-if applied)."""
        return tuple(q for q in self.questions if q.show_if is None or q.show_if.is_met(answers))

    def text(self, lang: str) -> str:
        return localized(self.title, lang, self.languages[0])


# --- parsing ----------------------------------------------------------------------------------


class _Parser:
    """Turns the TOML document into objects, raising on the first problem found."""

    def __init__(self, file: str, data: dict[str, Any]) -> None:
        self.file = file
        self.data = data
        self.languages: tuple[str, ...] = ()

    def fail(self, question: str | None, field_name: str | None, problem: str) -> InstrumentError:
        return InstrumentError(self.file, question, field_name, problem)

    def text(
        self, value: Any, question: str | None, field_name: str, *, required: bool
    ) -> Text | None:
        if value is None:
            if required:
                raise self.fail(question, field_name, "missing (a table of texts per language)")
            return None
        if isinstance(value, str):
            raise self.fail(
                question, field_name, f"must give a text per language {list(self.languages)}"
            )
        if not isinstance(value, dict):
            raise self.fail(question, field_name, "must be a table of texts per language")
        for lang in value:
            if lang not in self.languages:
                raise self.fail(question, field_name, f"language '{lang}' is not declared")
        for lang in self.languages:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(question, field_name, f"missing translation for '{lang}'")
        return dict(value)

    def parse(self) -> tuple[str, Text, Text | None, tuple[str, ...], float, tuple[Page, ...]]:
        data = self.data
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise self.fail(None, unknown[0], f"unknown key (expected one of {sorted(_TOP_KEYS)})")
        instrument_id = data.get("id")
        if not isinstance(instrument_id, str) or not _SLUG.match(instrument_id):
            raise self.fail(None, "id", "must be a lowercase slug such as 'post-service-card'")
        stem = Path(self.file).stem
        if stem != instrument_id:
            raise self.fail(None, "id", f"'{instrument_id}' must equal the file name '{stem}'")
        languages = data.get("languages")
        if not isinstance(languages, list) or not languages:
            raise self.fail(None, "languages", "must list the languages, zh_Hans first")
        for lang in languages:
            if lang not in KNOWN_LANGUAGES:
                raise self.fail(None, "languages", f"unknown language '{lang}' ({KNOWN_LANGUAGES})")
        if "zh_Hans" not in languages:
            raise self.fail(None, "languages", "zh_Hans is required")
        if len(set(languages)) != len(languages):
            raise self.fail(None, "languages", "a language is listed twice")
        self.languages = tuple(languages)
        satisfied_at = data.get("satisfied_at", 80)
        if not isinstance(satisfied_at, int | float) or isinstance(satisfied_at, bool):
            raise self.fail(None, "satisfied_at", "must be a number on the score scale")
        title = self.text(data.get("title"), None, "title", required=True)
        intro = self.text(data.get("intro"), None, "intro", required=False)
        scale = self.scale(data.get("scale"))
        pages_data = data.get("pages")
        if not isinstance(pages_data, list) or not pages_data:
            raise self.fail(None, "pages", "at least one [[pages]] table is required")
        pages: list[Page] = []
        seen: dict[str, Question] = {}
        page_ids: set[str] = set()
        for index, page_data in enumerate(pages_data, start=1):
            pages.append(self.page(page_data, index, scale, seen, page_ids))
        assert title is not None
        return instrument_id, title, intro, self.languages, float(satisfied_at), tuple(pages)

    def scale(self, value: Any) -> tuple[Option, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict) or set(value) != {"options"}:
            raise self.fail(None, "scale", "must be a table with only 'options'")
        return self.options(value["options"], "[scale]", scored=True, field_name="scale.options")

    def options(
        self, value: Any, question: str, *, scored: bool, field_name: str = "options"
    ) -> tuple[Option, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(question, field_name, "must be a non-empty list of options")
        options: list[Option] = []
        values: set[str] = set()
        for item in value:
            if not isinstance(item, dict):
                raise self.fail(question, field_name, "each option must be a table")
            unknown = sorted(set(item) - _OPTION_KEYS)
            if unknown:
                raise self.fail(question, field_name, f"unknown option key '{unknown[0]}'")
            option_value = item.get("value")
            if not isinstance(option_value, str) or not _SLUG.match(option_value):
                raise self.fail(question, field_name, "option 'value' must be a lowercase slug")
            if option_value in values:
                raise self.fail(question, field_name, f"duplicate option value '{option_value}'")
            values.add(option_value)
            text = self.text(
                item.get("text"), question, f"{field_name}[{option_value}].text", required=True
            )
            na = item.get("na", False)
            score = item.get("score")
            if score is not None and (
                not isinstance(score, int | float) or isinstance(score, bool)
            ):
                raise self.fail(
                    question, field_name, f"option '{option_value}': score must be a number"
                )
            if scored and not na and score is None:
                raise self.fail(
                    question, f"{field_name}[{option_value}].score", "option without score"
                )
            read_out = item.get("read_out", True)
            if not isinstance(na, bool) or not isinstance(read_out, bool):
                raise self.fail(question, field_name, "'na' and 'read_out' must be true or false")
            assert text is not None
            options.append(
                Option(
                    value=option_value,
                    text=text,
                    score=None if score is None or na else float(score),
                    na=na,
                    read_out=read_out,
                )
            )
        return tuple(options)

    def page(
        self,
        data: Any,
        index: int,
        scale: tuple[Option, ...],
        seen: dict[str, Question],
        page_ids: set[str],
    ) -> Page:
        if not isinstance(data, dict):
            raise self.fail(None, f"pages[{index}]", "must be a table")
        unknown = sorted(set(data) - _PAGE_KEYS)
        if unknown:
            raise self.fail(None, f"pages[{index}].{unknown[0]}", "unknown key")
        page_id = data.get("id", f"p{index}")
        if not isinstance(page_id, str) or not _SLUG.match(page_id):
            raise self.fail(None, f"pages[{index}].id", "must be a lowercase slug")
        if page_id in page_ids:
            raise self.fail(None, f"pages[{index}].id", f"duplicate page id '{page_id}'")
        page_ids.add(page_id)
        title = self.text(data.get("title"), None, f"pages[{index}].title", required=False)
        questions_data = data.get("questions")
        if not isinstance(questions_data, list) or not questions_data:
            raise self.fail(None, f"pages[{index}].questions", "a page needs questions")
        questions = []
        for q in questions_data:
            question = self.question(q, page_id, scale, seen)
            seen[question.id] = question
            questions.append(question)
        return Page(id=page_id, title=title, questions=tuple(questions))

    def question(
        self, data: Any, page_id: str, scale: tuple[Option, ...], seen: dict[str, Question]
    ) -> Question:
        if not isinstance(data, dict):
            raise self.fail(None, "questions", "each question must be a table")
        qid = data.get("id")
        if not isinstance(qid, str) or not _SLUG.match(qid):
            raise self.fail(None, "id", f"question id {qid!r} must be a lowercase slug")
        unknown = sorted(set(data) - _QUESTION_KEYS)
        if unknown:
            raise self.fail(
                qid, unknown[0], f"unknown key (expected one of {sorted(_QUESTION_KEYS)})"
            )
        if qid in seen:
            raise self.fail(qid, "id", "duplicate question id")
        qtype = data.get("type")
        if qtype not in QUESTION_TYPES:
            raise self.fail(
                qid, "type", f"unknown type {qtype!r} (expected one of {QUESTION_TYPES})"
            )
        indicator = data.get("indicator")
        if indicator is not None:
            if not isinstance(indicator, str) or not _INDICATOR.match(indicator):
                raise self.fail(qid, "indicator", "must look like 'satisfaction.overall'")
            if qtype not in SCORED_TYPES:
                raise self.fail(qid, "indicator", f"a {qtype} question cannot feed an indicator")
        weight = data.get("weight", 1.0)
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
            raise self.fail(qid, "weight", "must be a number greater than 0")
        required = data.get("required", False)
        if not isinstance(required, bool):
            raise self.fail(qid, "required", "must be true or false")
        text = self.text(data.get("text"), qid, "text", required=True)
        read_aloud = self.text(data.get("read_aloud"), qid, "read_aloud", required=False)
        note = self.text(data.get("interviewer_note"), qid, "interviewer_note", required=False)
        hint = self.text(data.get("hint"), qid, "hint", required=False)
        options: tuple[Option, ...] = ()
        if "options" in data:
            if qtype not in OPTION_TYPES:
                raise self.fail(qid, "options", f"a {qtype} question takes no options")
            options = self.options(data["options"], qid, scored=indicator is not None)
        elif qtype == "likert5":
            if not scale:
                raise self.fail(qid, "options", "likert5 without options needs a [scale]")
            options = scale
        elif qtype in ("choice", "multi"):
            raise self.fail(qid, "options", f"a {qtype} question needs options")
        elif qtype == "nps":
            # 0 to 10, scored 0 to 100 so it sits on the same scale as every other item.
            options = tuple(
                Option(value=str(i), text=dict.fromkeys(self.languages, str(i)), score=i * 10.0)
                for i in range(11)
            )
        low, high = self.range(data, qid, qtype)
        max_length = data.get("max_length")
        if max_length is not None and (
            qtype != "text" or not isinstance(max_length, int) or max_length < 1
        ):
            raise self.fail(qid, "max_length", "only for text questions, a whole number >= 1")
        if qtype == "text" and max_length is None:
            max_length = DEFAULT_MAX_LENGTH
        show_if = self.show_if(data.get("show_if"), qid, seen)
        assert text is not None
        return Question(
            id=qid,
            type=qtype,
            text=text,
            page_id=page_id,
            read_aloud=read_aloud,
            interviewer_note=note,
            hint=hint,
            options=options,
            required=required,
            show_if=show_if,
            indicator=indicator,
            weight=float(weight),
            min=low,
            max=high,
            max_length=max_length,
        )

    def range(
        self, data: dict[str, Any], qid: str, qtype: str
    ) -> tuple[float | None, float | None]:
        low, high = data.get("min"), data.get("max")
        if qtype == "nps":
            if low is not None or high is not None:
                raise self.fail(qid, "min", "nps questions are always 0 to 10")
            return 0.0, 10.0
        if (low is not None or high is not None) and qtype != "number":
            raise self.fail(qid, "min", "min and max are only for number questions")
        for name, value in (("min", low), ("max", high)):
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool)
            ):
                raise self.fail(qid, name, "must be a number")
        if low is not None and high is not None and low > high:
            raise self.fail(qid, "min", f"min {low} is greater than max {high}")
        return (
            None if low is None else float(low),
            None if high is None else float(high),
        )

    def show_if(self, value: Any, qid: str, seen: Mapping[str, Question]) -> ShowIf | None:
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != {"question", "any_of"}:
            raise self.fail(qid, "show_if", 'must be { question = "...", any_of = [...] }')
        target = value["question"]
        if target == qid:
            raise self.fail(qid, "show_if", "a question cannot depend on itself")
        if target not in seen:
            raise self.fail(
                qid, "show_if", f"refers to '{target}', which is unknown or comes later"
            )
        any_of = value["any_of"]
        if (
            not isinstance(any_of, list)
            or not any_of
            or not all(isinstance(v, str) for v in any_of)
        ):
            raise self.fail(qid, "show_if", "any_of must be a non-empty list of option values")
        earlier = seen[target]
        if earlier.options:
            offered = {o.value for o in earlier.options}
            for v in any_of:
                if v not in offered:
                    raise self.fail(qid, "show_if", f"'{v}' is not an option of '{target}'")
        return ShowIf(question=target, any_of=tuple(any_of))


def parse_instrument(text: str, *, file: str) -> Instrument:
    """An instrument from the text of its file (``file`` names it in error messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(file, None, None, f"not valid TOML: {error}") from error
    instrument_id, title, intro, languages, satisfied_at, pages = _Parser(file, data).parse()
    return Instrument(
        id=instrument_id,
        title=title,
        intro=intro,
        languages=languages,
        satisfied_at=satisfied_at,
        pages=pages,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=text,
        path=file,
    )


def load_instrument(path: str | Path) -> Instrument:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InstrumentError(str(path), None, None, "not UTF-8 text") from error
    return parse_instrument(text, file=str(path))


def instrument_files(directory: str | Path) -> Sequence[Path]:
    return sorted(Path(directory).glob("*.toml"))


def load_directory(directory: str | Path) -> dict[str, Instrument]:
    """Every instrument in a folder, by id; raises InstrumentError on the first problem."""
    instruments: dict[str, Instrument] = {}
    for path in instrument_files(directory):
        instrument = load_instrument(path)
        if instrument.id in instruments:
            raise InstrumentError(
                str(path), None, "id", f"duplicate instrument id '{instrument.id}'"
            )
        instruments[instrument.id] = instrument
    return instruments
