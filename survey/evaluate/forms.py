"""The evaluator's forms: the follow-up of bad reviews, and choosing comments for a report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..followup.cases import FIX_RATING_LABELS, REASON_TOO_SHORT, reason_is_enough

__all__ = ["FIX_RATING_LABELS", "ExcludeForm", "RatingForm", "RemedyForm", "SelectForm"]


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
