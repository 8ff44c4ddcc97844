"""Questionnaire files ("instruments"): load, validate, and turn into immutable objects.

- model: the frozen objects (Instrument, Page, Question, Option, ShowIf);
- parse: the TOML text of one file -> an Instrument, or an error naming the file,
  the question and the field;
- files: the files of a folder;
- store: the versions kept in the database (imports Flask and the models, so it
  is not re-exported here: ``from survey.instruments.store import ...``).
"""

from __future__ import annotations

from .files import check_directory, instrument_files, load_directory, load_instrument
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
    AnswerValue,
    Instrument,
    InstrumentError,
    Option,
    Page,
    Question,
    ShowIf,
    Text,
    answer_key,
    localized,
)
from .parse import parse_instrument

__all__ = [
    "SCORE_MAX",
    "SCORE_MIN",
    "AnswerValue",
    "CONDITION_TYPES",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_SATISFIED_AT",
    "Instrument",
    "InstrumentError",
    "KNOWN_LANGUAGES",
    "LIKERT_LEVELS",
    "NPS_VALUES",
    "OPTION_TYPES",
    "OVERALL_INDICATOR",
    "Option",
    "Page",
    "QUESTION_TYPES",
    "Question",
    "SCORED_TYPES",
    "ShowIf",
    "Text",
    "answer_key",
    "check_directory",
    "instrument_files",
    "load_directory",
    "load_instrument",
    "localized",
    "parse_instrument",
]
