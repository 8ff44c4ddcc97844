"""WTForms forms built from one page of an instrument, in the respondent's language.

The instrument file is the only source of the questions, so the form class is
made from it, once per instrument version, page and language: one field per
question of the page, named ``q_<id>`` (a prefix, so that a question id can
never clash with an attribute of the form).
Field validators check only the *shape* of a value (an offered option, a finite
number in range, a text short enough, a plausible phone number); whether an
answer is *required* depends on show-if conditions, which depend on the other
answers, so that is decided afterwards by :func:`check_page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput, TelInput

from ..instruments import Instrument, Question, localized
from ..responses.answers import (
    CHOICE_TYPES,
    PHONE_MAX_CHARS,
    AnswerValue,
    clean_phone,
    clean_text,
    number_text,
    parse_number,
    text_limit,
    visible_ids,
)

FIELD_PREFIX = "q_"


# Names a respondent form may carry besides its questions.
FORM_CONTROLS = frozenset({"csrf_token", "submission_key", "page", "action"})


def field_name(question_id: str) -> str:
    """The form field name of a question."""
    return FIELD_PREFIX + question_id


class MultiCheckboxField(SelectMultipleField):
    """Several options as checkboxes, readable and usable with JavaScript off."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnswerForm(FlaskForm):
    """The base of every respondent form: the idempotency key (CSRF is the app's, see Meta)."""

    class Meta(FlaskForm.Meta):
        # CSRFProtect checks the token of every POST before any view runs (only the API
        # and the SMS webhooks are exempt, and neither takes an answer form), so a form
        # field of its own checked nothing more: it only signed a new token on every POST,
        # a card's most frequent request. The pages put the token in themselves
        # (templates/_csrf.html).
        csrf = False

        def get_translations(self, form: Any) -> Any:
            """WTForms' own messages in the request's language, the catalog read once.

            Flask-WTF reads WTForms' catalog from disk for every request that
            makes a form; a respondent's card makes one on every view.
            """
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            locale = get_locale()
            return _wtforms_catalog(str(locale) if locale else "")

    submission_key = HiddenField()


@lru_cache(maxsize=16)
def _wtforms_catalog(locale: str) -> support.Translations | support.NullTranslations:
    return support.Translations.load(messages_path(), [locale] if locale else None, "wtforms")


class OfferedOption:
    """The value must be one of the options the question offers (a tampered value is refused)."""

    def __init__(self, question: Question) -> None:
        self.values = {option.value for option in question.options}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        data = field.data
        values = data if isinstance(data, list) else [data]
        for value in values:
            if value not in (None, "") and value not in self.values:
                raise ValidationError(_l("This answer is not one of the choices offered."))


class NumberInRange:
    """A finite number within the question's min and max."""

    def __init__(self, question: Question) -> None:
        self.min = question.min
        self.max = question.max

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = (field.data or "").strip()
        if not raw:
            return
        number = parse_number(raw)
        if number is None:
            raise ValidationError(_l("Please enter a number."))
        if self.min is not None and number < self.min:
            raise ValidationError(
                _l("Please enter a number of at least %(min)s.", min=_fmt(self.min))
            )
        if self.max is not None and number > self.max:
            raise ValidationError(
                _l("Please enter a number of at most %(max)s.", max=_fmt(self.max))
            )


class TextLength:
    """No longer than the question allows, and never longer than SURVEY_MAX_TEXT."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: FlaskForm, field: Field) -> None:
        text = clean_text(field.data or "")
        if len(text) > self.limit:
            raise ValidationError(
                _l(
                    "Please shorten your text to %(limit)s characters (it has %(length)s).",
                    limit=self.limit,
                    length=len(text),
                )
            )


class PhoneNumber:
    """Loosely a phone number: digits, +, spaces and dashes, with 5 to 20 digits."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = (field.data or "").strip()
        if not raw:
            return
        if clean_phone(raw) is None:
            raise ValidationError(
                _l("Please enter a phone number: digits, and if needed +, spaces or dashes.")
            )


def _fmt(number: float) -> str:
    return number_text(number)


def _choices(question: Question, lang: str, fallback: str) -> list[SelectChoice]:
    return [
        SelectChoice(option.value, localized(option.text, lang, fallback))
        for option in question.options
    ]


def _field_for(
    question: Question, lang: str, fallback: str, max_text: int, required_attr: bool
) -> Field:
    label = localized(question.text, lang, fallback)
    render_kw: dict[str, Any] = {"required": True} if required_attr else {}
    if question.type in CHOICE_TYPES:
        return RadioField(
            label,
            choices=_choices(question, lang, fallback),
            validators=[OfferedOption(question)],
            validate_choice=False,
            render_kw=render_kw,
        )
    if question.type == "multi":
        return MultiCheckboxField(
            label,
            choices=_choices(question, lang, fallback),
            validators=[OfferedOption(question)],
            validate_choice=False,
        )
    if question.type == "number":
        widget_kw: dict[str, Any] = {"step": "any"}
        if question.min is not None:
            widget_kw["min"] = _fmt(question.min)
        if question.max is not None:
            widget_kw["max"] = _fmt(question.max)
        return StringField(
            label,
            validators=[NumberInRange(question)],
            widget=NumberInput(**widget_kw),
            render_kw={**render_kw, "inputmode": "decimal"},
        )
    if question.type == "text":
        limit = text_limit(question, max_text)
        return TextAreaField(
            label,
            validators=[TextLength(limit)],
            render_kw={**render_kw, "maxlength": limit},
        )
    if question.type == "phone":
        return StringField(
            label,
            validators=[PhoneNumber()],
            widget=TelInput(),
            render_kw={
                **render_kw,
                "autocomplete": "tel",
                "inputmode": "tel",
                "maxlength": PHONE_MAX_CHARS,
            },
        )
    raise ValueError(f"question {question.id!r}: unknown type {question.type!r}")


def build_form(
    instrument: Instrument,
    questions: Sequence[Question],
    lang: str,
    *,
    max_text: int,
    initial: Mapping[str, AnswerValue] | None = None,
    formdata: Any = None,
) -> AnswerForm:
    """The form of one page's questions. On a GET pass ``initial``; on a POST ``formdata``."""
    form_class = page_form_class(instrument, questions, lang, max_text=max_text)
    data = {field_name(qid): _form_value(value) for qid, value in (initial or {}).items()}
    if formdata is not None:
        return form_class(formdata=formdata)
    return form_class(formdata=None, data=data)


# (instrument version, question ids, language, text limit) -> form class; a few per page.
_FORM_CLASSES: dict[tuple[str, tuple[str, ...], str, int], type[AnswerForm]] = {}
_MOST_FORM_CLASSES = 512


def page_form_class(
    instrument: Instrument, questions: Sequence[Question], lang: str, *, max_text: int
) -> type[AnswerForm]:
    """The form class of one page in one language, made once per instrument version.

    Making a WTForms class (a metaclass, one unbound field per question) cost
    more than the rest of a card's request; an instrument version never
    changes, so the class made for it serves every later card. Its fields hold
    no request state: WTForms binds fresh fields to each form made from it.

    A question shown only on a condition that depends on another question of the
    same page gets no HTML ``required`` attribute: with JavaScript off the
    browser cannot know whether it applies, so the server decides.
    """
    key = (instrument.version, tuple(q.id for q in questions), lang, max_text)
    found = _FORM_CLASSES.get(key)
    if found is not None:
        return found
    fallback = instrument.languages[0]
    same_page = {question.id for question in questions}

    class PageForm(AnswerForm):
        pass

    for question in questions:
        conditional = question.show_if is not None and question.show_if.question in same_page
        required_attr = question.required and not conditional and question.type != "multi"
        setattr(
            PageForm,
            field_name(question.id),
            _field_for(question, lang, fallback, max_text, required_attr),
        )
    if len(_FORM_CLASSES) >= _MOST_FORM_CLASSES:
        _FORM_CLASSES.clear()  # instrument files edited many times in one worker's life
    _FORM_CLASSES[key] = PageForm
    return PageForm


def _form_value(value: AnswerValue) -> Any:
    if isinstance(value, float):
        return number_text(value)
    return value


@dataclass(frozen=True)
class PageResult:
    """What a posted page says: the answers to keep (visible ones only) and whether it is valid."""

    answers: dict[str, AnswerValue]
    hidden: frozenset[str]
    valid: bool


def unexpected_fields(
    questions: Sequence[Question], keys: Iterable[str], counts: Mapping[str, int]
) -> list[str]:
    """Posted names this page does not have, and single-answer questions posted twice.

    A browser never sends either; a request that does was tampered with, and is
    refused whole rather than partly stored.
    """
    names = {field_name(question.id): question for question in questions}
    problems = []
    for key in keys:
        if key in FORM_CONTROLS:
            if counts.get(key, 1) > 1:
                problems.append(key)
            continue
        question = names.get(key)
        if question is None:
            problems.append(key)
        elif question.type != "multi" and counts.get(key, 1) > 1:
            problems.append(key)
    return sorted(problems)


def _value_of(question: Question, field: Field) -> AnswerValue | None:
    """The parsed value of a field that passed its shape validators, or None when empty."""
    if question.type in CHOICE_TYPES:
        return field.data or None
    if question.type == "multi":
        chosen = set(field.data or [])
        ordered = [option.value for option in question.options if option.value in chosen]
        return ordered or None
    if question.type == "number":
        raw = (field.data or "").strip()
        return parse_number(raw) if raw else None
    if question.type == "text":
        return clean_text(field.data or "") or None
    if question.type == "phone":
        raw = (field.data or "").strip()
        return clean_phone(raw) if raw else None
    return None


def check_page(
    form: AnswerForm,
    instrument: Instrument,
    questions: Sequence[Question],
    earlier: Mapping[str, AnswerValue],
    *,
    require: bool = True,
) -> PageResult:
    """Validate a posted page against the whole instrument's show-if conditions.

    ``earlier`` holds the answers given on other pages. A question whose
    condition is not met is neither required nor kept, and errors on it are
    dropped: whatever was posted for it is discarded. ``require=False`` (the
    Back button) checks values but lets required questions stay empty.
    """
    form.validate()
    posted: dict[str, AnswerValue] = {}
    for question in questions:
        field = form[field_name(question.id)]
        if field.errors:
            continue
        value = _value_of(question, field)
        if value is not None:
            posted[question.id] = value
    page_ids = {question.id for question in questions}
    combined = {qid: value for qid, value in earlier.items() if qid not in page_ids}
    combined.update(posted)
    shown = visible_ids(instrument, combined)
    hidden = frozenset(page_ids - shown)
    valid = True
    for question in questions:
        field = form[field_name(question.id)]
        if question.id in hidden:
            field.errors = []
            posted.pop(question.id, None)
            continue
        if field.errors:
            valid = False
        elif require and question.required and question.id not in posted:
            field.errors = [gettext("Please answer this question.")]
            valid = False
    return PageResult(answers=posted, hidden=hidden, valid=valid)
