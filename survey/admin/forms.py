"""The set-up forms (Flask-WTF, CSRF on). They only parse what was typed; the rules live in
survey.setup, so the web and any other caller refuse the same things."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..contacts.files import CHANNELS as CONTACT_CHANNELS
from ..labels import CHANNEL_LABELS, DIMENSION_LABELS
from ..models import CHANNELS, DIMENSIONS, ROLES

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# A select's "none" choice (coerce=int cannot take an empty string).
NONE = 0

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "evaluator": _l("Evaluator"),
    "operator": _l("Phone operator"),
    "handler": _l("Follow-up handler of a unit"),
    "liaison": _l("Liaison of a unit (self-assessment)"),
}


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multi-select shown as checkboxes (channels)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OptionalFloatField(StringField):
    """A number that may be empty; a comma as decimal mark is accepted, as people type it."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        self.raw = (valuelist[0] if valuelist else "").strip()
        if self.raw:
            try:
                self.data = float(self.raw.replace(",", "."))
                if not math.isfinite(self.data):
                    raise ValueError(self.raw)
            except ValueError:
                self.data = None
                raise ValueError(_l("Not a number.")) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:g}"


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=200)])
    kind = StringField(_l("Kind of institution"), validators=[Optional(), Length(max=80)])
    sms_signature = StringField(_l("SMS signature of its own"), validators=[Length(max=40)])


class ServicePointForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Service point name"), validators=[DataRequired(), Length(max=200)])


class TicketSheetForm(FlaskForm):
    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[InputRequired()])
    count = IntegerField(_l("Number of tickets"), default=12, validators=[InputRequired()])
    # "a4", or a key of survey.channels.receipts.ROLLS.
    layout = SelectField(
        _l("Print on"),
        choices=options(
            [
                ("a4", _l("A4 sheets, 12 tickets a page")),
                ("58mm", _l("58 mm receipt printer, one ticket a receipt (PDF)")),
                ("80mm", _l("80 mm receipt printer, one ticket a receipt (PDF)")),
            ]
        ),
        default="a4",
    )


class AddGroupForm(FlaskForm):
    code = SelectField(_l("Group"), validators=[DataRequired()], validate_choice=False)


class OwnGroupForm(FlaskForm):
    """An administrator's own respondent group: code, a name in each language, dimension."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_zh_hans = StringField(_l("Name in simplified Chinese"), validators=[Length(max=200)])
    name_zh_hant = StringField(_l("Name in traditional Chinese"), validators=[Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    dimension = SelectField(
        _l("Dimension"),
        choices=options((d, DIMENSION_LABELS[d]) for d in DIMENSIONS),
        default="stakeholders",
    )

    def names(self) -> dict[str, str]:
        return {
            "zh_Hans": self.name_zh_hans.data or "",
            "zh_Hant": self.name_zh_hant.data or "",
            "en": self.name_en.data or "",
        }


class MoveGroupForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])


class ChannelQuestionnairesForm(Form):
    """A group's questionnaire per channel, where it is not the group's own ("" = the same).

    One select per channel of models.base.CHANNELS, named by the channel's code,
    added below the class.
    """


for _channel in CHANNELS:
    setattr(
        ChannelQuestionnairesForm,
        _channel,
        SelectField(CHANNEL_LABELS[_channel], default="", validate_choice=False),
    )


class GroupSettingsForm(Form):
    """One group's row in the campaign form (a plain Form: the outer form carries the CSRF)."""

    code = HiddenField()
    by_channel = FormField(ChannelQuestionnairesForm)
    included = BooleanField(_l("Surveyed"))
    instrument_id = SelectField(_l("Questionnaire"), validate_choice=False)
    weight = OptionalFloatField(_l("Policy weight"))
    population = IntegerField(_l("Population N"), validators=[Optional()])
    target = IntegerField(_l("Target sample size"), validators=[Optional()])


class CampaignForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Campaign name"), validators=[DataRequired(), Length(max=200)])
    period_start = DateField(_l("Period start"), validators=[InputRequired()])
    period_end = DateField(_l("Period end"), validators=[InputRequired()])
    opens_at = DateTimeLocalField(_l("Opens at"), format=LOCAL_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes at"), format=LOCAL_FORMAT, validators=[Optional()])
    timezone = StringField(
        _l("Time zone"), default="Asia/Shanghai", validators=[DataRequired(), Length(max=64)]
    )
    unit_ids = MultiCheckboxField(_l("Units evaluated"), coerce=int)
    point_group = SelectField(_l("Group answering at service points"), validate_choice=False)
    channels = MultiCheckboxField(_l("Channels"))
    cap_at_target = BooleanField(_l("Stop a group when it reaches its target"))
    call_from = StringField(_l("Calls from"), default="09:00", validators=[DataRequired()])
    call_until = StringField(_l("Calls until"), default="20:00", validators=[DataRequired()])
    max_attempts = IntegerField(
        _l("Attempts per phone case"), default=6, validators=[InputRequired()]
    )
    lunch_from = StringField(_l("Lunch break from"), default="12:00", validators=[DataRequired()])
    lunch_until = StringField(_l("Lunch break until"), default="14:00", validators=[DataRequired()])
    evening_from = StringField(
        _l("Evening calls from"), default="18:00", validators=[DataRequired()]
    )
    max_messages = IntegerField(
        _l("Voicemail messages per person"), default=1, validators=[InputRequired()]
    )
    refusal_conversion = BooleanField(
        _l("Call a soft refusal again a week later (refusal conversion)"), default=True
    )
    followup_days = IntegerField(
        _l("Working days to follow up a bad review"), default=5, validators=[InputRequired()]
    )
    weighting = SelectField(
        _l("Published figures weight the groups by"),
        choices=options(
            [
                ("policy", _l("policy weights (below)")),
                ("population", _l("population shares N_h/N (every group needs its N)")),
            ]
        ),
        default="policy",
        validate_choice=False,  # checked with the groups' populations (setup.campaign_rules)
    )
    sms_signature = StringField(_l("SMS signature"), validators=[Length(max=40)])
    groups = FieldList(FormField(GroupSettingsForm))


class ContactImportForm(FlaskForm):
    """The upload of a contact list for one campaign.

    Group, unit and channel list only the campaign's own (the view fills them);
    they are not checked as choices here, so that a stale page gets the
    service's message naming the campaign's groups, units or channels.
    """

    campaign_id = SelectField(_l("Campaign"), coerce=int, validators=[InputRequired()])
    group_code = SelectField(_l("Group"), validators=[DataRequired()], validate_choice=False)
    unit_id = SelectField(
        _l("Unit for rows without a unit column"),
        coerce=int,
        validators=[Optional()],
        validate_choice=False,
    )
    channel = SelectField(
        _l("Channel"),
        choices=options((c, c) for c in CONTACT_CHANNELS),
        default="link",
        validate_choice=False,
    )
    deliver = SelectField(
        _l("Links"),
        choices=options(
            [
                ("page", _l("Show the links on the page")),
                ("csv", _l("Download a CSV for a mail merge")),
            ]
        ),
        default="page",
    )
    contacts = FileField(_l("Contacts (CSV, UTF-8 or GB18030)"), validators=[FileRequired()])


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=options((r, ROLE_LABELS.get(r, r)) for r in ROLES))
    unit_id = SelectField(
        _l("Unit (for a handler or liaison)"), coerce=int, validators=[Optional()]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class UserEditForm(FlaskForm):
    """An existing account's name, role and unit; the username and password stay apart."""

    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=options((r, ROLE_LABELS.get(r, r)) for r in ROLES))
    unit_id = SelectField(
        _l("Unit (for a handler or liaison)"), coerce=int, validators=[Optional()]
    )


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])


class ActionForm(FlaskForm):
    """Only the CSRF token: a button that changes something is a POST."""


class DeviceForm(FlaskForm):
    """A kiosk device to enrol: where it stands and what it is called."""

    point_id = SelectField(_l("Service point"), coerce=int, validators=[DataRequired()])
    name = StringField(
        _l("Name of the device (e.g. tablet at window 3)"),
        validators=[DataRequired(), Length(max=200)],
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name (who uses the token)"), validators=[DataRequired(), Length(max=200)]
    )


class OpenCampaignForm(FlaskForm):
    """Opening a draft campaign is confirmed: its test answers are deleted for good."""

    confirm = BooleanField(
        _l("I have tried the campaign: delete its test answers and open it"),
        validators=[DataRequired(_l("Tick the box to confirm the opening."))],
    )


class TestCallForm(FlaskForm):
    """A draft's phone script tried in the console: for which group, about which unit."""

    group = SelectField(_l("Group"), validators=[DataRequired()], validate_choice=False)
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
