"""The evaluation scorecard: frameworks as reviewed files, and the points they give.

A framework (``frameworks/*.toml``) is the office's tree of categories and
items; a unit set (``frameworks/units/*.toml``) is a unit's individual items for
one version of it. This package reads and validates both into frozen objects,
turns recorded scores, data values, survey estimates and events into points, and
hands the survey-fed part to :mod:`survey.stats.composite` for totals, changes,
ranks and grades with their intervals. It imports neither Flask nor SQLAlchemy:
the models, cycles and screens build on it.
"""

from .errors import FrameworkError, ScoreError
from .files import Library, check_directory, load_directory, load_framework, load_unit_set
from .framework import (
    DIMENSIONS,
    KINDS,
    METHODS,
    SOURCES,
    Category,
    DataMeasure,
    EventLevel,
    Framework,
    Grade,
    Item,
    SurveyFeed,
    UnitSet,
)
from .parse_framework import parse_framework
from .parse_unit_set import parse_unit_set
from .points import (
    Event,
    Innovation,
    assessed_points,
    data_points,
    innovation_points,
    ratio_value,
    survey_points,
)
from .rules import Band, BandsRule, LinearRule, Rule
from .sheet import missing_inputs, on_survey_scale, unit_year

__all__ = [
    "DIMENSIONS",
    "KINDS",
    "METHODS",
    "SOURCES",
    "Band",
    "BandsRule",
    "Category",
    "DataMeasure",
    "Event",
    "EventLevel",
    "Framework",
    "FrameworkError",
    "Grade",
    "Innovation",
    "Item",
    "Library",
    "LinearRule",
    "Rule",
    "ScoreError",
    "SurveyFeed",
    "UnitSet",
    "assessed_points",
    "check_directory",
    "data_points",
    "innovation_points",
    "load_directory",
    "load_framework",
    "load_unit_set",
    "missing_inputs",
    "on_survey_scale",
    "parse_framework",
    "parse_unit_set",
    "ratio_value",
    "survey_points",
    "unit_year",
]
