"""Forms of the bad-review follow-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..followup import FIX_RATING_LABELS

__all__ = ["FIX_RATING_LABELS", "ExcludeForm", "RatingForm", "RemedyForm"]


class RemedyForm(FlaskForm):
    action = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=4000)])


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("The respondent's rating of the fix (asked by phone)"),
        choices=[SelectChoice(value, label) for value, label in FIX_RATING_LABELS.items()],
        validators=[DataRequired()],
    )


class ExcludeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why this bad review is malicious or mistaken"),
        validators=[DataRequired(), Length(min=5, max=4000)],
    )
