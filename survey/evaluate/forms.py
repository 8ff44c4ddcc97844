"""The evaluator's forms: the follow-up of bad reviews, choosing comments for a report, and
opening an evaluation cycle."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..followup.cases import FIX_RATING_LABELS, REASON_TOO_SHORT, reason_is_enough
from ..labels import STEP_LABELS
from ..models import CYCLE_STEPS, DEFAULT_CYCLE_YEARS
from ..web.answer_form import MultiCheckboxField

__all__ = [
    "FIX_RATING_LABELS",
    "NO_CAMPAIGN",
    "CycleForm",
    "CycleYearForm",
    "ExcludeForm",
    "RatingForm",
    "RemedyForm",
    "SelectForm",
]

# The campaign select's "none" (coerce=int cannot take an empty string).
NO_CAMPAIGN = 0


class RemedyForm(FlaskForm):
    action = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=4000)])


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("The respondent's rating of the fix (asked by phone)"),
        choices=[SelectChoice(value, label) for value, label in FIX_RATING_LABELS.items()],
        validators=[DataRequired()],
    )


def _a_reason(_form: Form, field: Field) -> None:
    """The rule of survey.followup.exclude, so the form never refuses what it would take."""
    if not reason_is_enough(field.data):
        raise ValidationError(str(REASON_TOO_SHORT))


class ExcludeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why this bad review is malicious or mistaken"),
        validators=[DataRequired(), _a_reason, Length(max=4000)],
    )


class BurstReviewForm(FlaskForm):
    """The reason for accepting or excluding the bursts chosen (ids and decision come apart)."""

    reason = TextAreaField(
        _l("Reason for the decision (kept in the audit trail)"),
        validators=[DataRequired(), _a_reason, Length(max=4000)],
    )


class SelectForm(FlaskForm):
    """Only the CSRF token; ``selected`` (1 or 0) comes with the button pressed."""


def _stripped(value: str | None) -> str | None:
    return value.strip() if value else value


class CycleYearForm(Form):
    """One year of a new cycle: the campaign feeding its survey items and each step's deadline.

    A plain Form (the outer form carries the CSRF token); one DateField per step of
    models.CYCLE_STEPS, named by the step, is added below the class. Which campaign
    may feed the year is survey.scorecard.cycles' to say; the choices (the view's)
    are the campaigns that are not drafts.
    """

    year = IntegerField(widget=HiddenInput())
    campaign_id = SelectField(_l("Campaign"), coerce=int, default=NO_CAMPAIGN)


for _step in CYCLE_STEPS:
    setattr(CycleYearForm, _step, DateField(STEP_LABELS[_step], validators=[Optional()]))


class CycleForm(FlaskForm):
    """Opening an evaluation cycle: the form only parses; survey.scorecard.cycles.open_cycle checks.

    ``per_year`` has a row for each year of the cycle as the page last laid it out
    (the view lays it out again when the first year or the number of years changes).
    """

    code = StringField(_l("Code"), filters=[_stripped])
    name = StringField(_l("Cycle name"))
    framework = SelectField(_l("Framework"), validate_choice=False)
    first_year = IntegerField(_l("First year"))
    years = IntegerField(_l("Number of years"), default=DEFAULT_CYCLE_YEARS)
    unit_ids = MultiCheckboxField(_l("Units evaluated"), coerce=int)
    per_year = FieldList(FormField(CycleYearForm))
