"""The respondent pages' own forms: the rating of a fix (``/f/<token>``), a kiosk's enrolment.

The questionnaire forms are built from the instrument in survey.web.answer_form,
shared with the phone console.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    RadioField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..followup.cases import FIX_RATING_LABELS
from ..models import FIX_RATINGS


class OneOfFixRatings:
    """The rating must be one of the three offered; a missing or tampered one is refused."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data not in FIX_RATINGS:
            raise ValidationError(_l("Choose satisfied, basically satisfied or dissatisfied."))


class FixRatingForm(FlaskForm):
    """The respondent's rating of what was done about their bad review (``/f/<token>``)."""

    rating = RadioField(
        _l("Are you satisfied with what was done?"),
        choices=[SelectChoice(value, label) for value, label in FIX_RATING_LABELS.items()],
        # Our own validator, so that a tampered value gets our message, not WTForms'.
        validate_choice=False,
        validators=[OneOfFixRatings()],
        render_kw={"required": True},
    )


class EnrolForm(FlaskForm):
    """The one-time code an administrator gave for this tablet (``/device/enrol``)."""

    code = StringField(
        _l("Enrolment code"),
        validators=[
            DataRequired(message=_l("Type the enrolment code.")),
            Length(max=40, message=_l("Type the enrolment code.")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
