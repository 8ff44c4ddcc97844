"""Campaign set-up and contact import views (thin: the rules are in survey.setup)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import setup as service
from ..contacts.files import CHANNELS as CONTACT_CHANNELS
from ..extensions import db
from ..instruments import localized
from ..instruments.store import current_instruments
from ..labels import channel_label, group_label
from ..models import CHANNELS, Campaign, Group, Unit, group_by_code
from ..setup.invitations import LINK_COLUMNS, ImportRejected, ImportResult, link_rows
from ..web.guards import role_required
from ..web.uploads import accepts_upload
from . import bp
from .forms import NONE, CampaignForm, ContactImportForm, options
from .opening_views import campaign_state_panel
from .routes import SETUP_ROLES, no_store, unit_pairs


@bp.route("/campaigns")
@role_required(*SETUP_ROLES)
def campaigns() -> ResponseReturnValue:
    return render_template("admin/campaigns.html", campaigns=service.campaigns_newest_first())


def _initial_data(campaign: Campaign | None, groups: list[Group]) -> dict[str, Any]:
    """The form's values for a GET: the campaign's settings in its own time zone."""
    if campaign is None:
        return {
            "channels": ["qr", "ticket", "kiosk", "link", "sms", "phone"],
            "point_group": "service_user",
            "groups": [{"code": g.code} for g in groups],
        }
    settings = {s.group.code: s for s in campaign.groups}
    rows = []
    for group in groups:
        s = settings.get(group.code)
        rows.append(
            {"code": group.code}
            if s is None
            else {
                "code": group.code,
                "included": True,
                "instrument_id": s.instrument_id,
                "by_channel": {c.channel: c.instrument_id for c in s.by_channel},
                "weight": s.weight,
                "population": s.population,
                "target": s.target,
            }
        )
    return {
        "code": campaign.code,
        "name": campaign.name,
        "period_start": campaign.period_start,
        "period_end": campaign.period_end,
        "opens_at": service.utc_to_local(campaign.opens_at, campaign.timezone),
        "closes_at": service.utc_to_local(campaign.closes_at, campaign.timezone),
        "timezone": campaign.timezone,
        "unit_ids": [u.id for u in campaign.units],
        "point_group": campaign.point_group.code if campaign.point_group else "",
        "channels": campaign.channel_list(),
        "cap_at_target": campaign.cap_at_target,
        "call_from": campaign.call_from,
        "call_until": campaign.call_until,
        "max_attempts": campaign.max_attempts,
        "lunch_from": campaign.lunch_from,
        "lunch_until": campaign.lunch_until,
        "evening_from": campaign.evening_from,
        "max_messages": campaign.max_messages,
        "refusal_conversion": campaign.refusal_conversion,
        "followup_days": campaign.followup_days,
        "weighting": campaign.weighting,
        "sms_signature": campaign.sms_signature or "",
        "groups": rows,
    }


def _set_choices(form: CampaignForm, groups: list[Group]) -> None:
    lang = str(get_locale() or "zh_Hans")
    instruments = options(
        [("", "–")]
        + [
            (key, f"{localized(instrument.title, lang)} ({key})")
            for key, instrument in sorted(current_instruments().items())
        ]
    )
    form.unit_ids.choices = options(unit_pairs())
    form.channels.choices = options((c, channel_label(c)) for c in CHANNELS)
    form.point_group.choices = options(
        [("", "–")] + [(g.code, group_label(g.code)) for g in groups]
    )
    same = options([("", _("same"))] + [(key, key) for key in sorted(current_instruments())])
    for entry in form.groups:
        entry.form.instrument_id.choices = instruments
        for channel in CHANNELS:
            entry.form.by_channel[channel].choices = same


def _campaign_input(form: CampaignForm) -> service.CampaignInput:
    return service.CampaignInput(
        code=form.code.data or "",
        name=form.name.data or "",
        period_start=form.period_start.data,
        period_end=form.period_end.data,
        opens_at=form.opens_at.data,
        closes_at=form.closes_at.data,
        timezone=form.timezone.data or "",
        unit_ids=list(form.unit_ids.data or []),
        point_group=form.point_group.data or None,
        channels=list(form.channels.data or []),
        cap_at_target=bool(form.cap_at_target.data),
        call_from=form.call_from.data or "",
        call_until=form.call_until.data or "",
        max_attempts=form.max_attempts.data,
        lunch_from=form.lunch_from.data or "",
        lunch_until=form.lunch_until.data or "",
        evening_from=form.evening_from.data or "",
        max_messages=form.max_messages.data,
        refusal_conversion=bool(form.refusal_conversion.data),
        followup_days=form.followup_days.data,
        weighting=form.weighting.data or "policy",
        sms_signature=form.sms_signature.data or "",
        groups=[
            service.GroupSettingsInput(
                code=entry.form.code.data or "",
                included=bool(entry.form.included.data),
                instrument_id=entry.form.instrument_id.data or "",
                by_channel={
                    channel: entry.form.by_channel[channel].data
                    for channel in CHANNELS
                    if entry.form.by_channel[channel].data
                },
                weight=entry.form.weight.data,
                population=entry.form.population.data,
                target=entry.form.target.data,
            )
            for entry in form.groups
        ],
    )


def _shares(form: CampaignForm) -> dict[str, float]:
    """The normalised shares of the weights on the form, when they are valid (else none)."""
    weights = {
        entry.form.code.data: entry.form.weight.data
        for entry in form.groups
        if entry.form.included.data
    }
    try:
        return service.weight_shares(weights)
    except service.SetupError:
        return {}


@bp.route("/campaigns/new", methods=["GET", "POST"], endpoint="campaign_new")
@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"], endpoint="campaign_edit")
@role_required(*SETUP_ROLES)
def campaign_form(campaign_id: int | None = None) -> ResponseReturnValue:
    campaign = db.get_or_404(Campaign, campaign_id) if campaign_id is not None else None
    groups = service.groups_in_order()
    if request.method == "POST":
        form = CampaignForm()
    else:
        form = CampaignForm(data=_initial_data(campaign, groups))
    _set_choices(form, groups)
    started = campaign is not None and service.fieldwork_started(campaign)
    if form.validate_on_submit():
        try:
            saved = service.save_campaign(campaign, _campaign_input(form))
        except service.SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Campaign %(code)s saved.", code=saved.campaign.code))
            if saved.weights_changed_after_start:
                flash(
                    _(
                        "Weights or populations changed after fieldwork had started: the change "
                        "is in the audit trail, and the results will say which settings they used."
                    ),
                    "error",
                )
            return redirect(url_for("admin.campaign_edit", campaign_id=saved.campaign.id))
    elif request.method == "POST":
        flash(_("Please correct the fields marked below."), "error")
    return render_template(
        "admin/campaign_form.html",
        form=form,
        campaign=campaign,
        started=started,
        shares=_shares(form),
        channel_codes=CHANNELS,
        any_by_channel=any(any(e.form.by_channel.data.values()) for e in form.groups),
        state_panel=campaign_state_panel(campaign),
    )


# --- contact import ----------------------------------------------------------------------------


def _links_csv(result: ImportResult) -> str:
    """The links for a mail merge (UTF-8 with BOM, which makes Excel read Chinese names right)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(LINK_COLUMNS)
    writer.writerows(link_rows(result.links))
    return buffer.getvalue()


@bp.route("/contacts", methods=["GET", "POST"])
@role_required("admin")
@accepts_upload(
    "SURVEY_CONTACTS_MAX_BYTES",
    hint=_l(
        "Split the list into several files, or import it on the server with the command "
        "flask survey invite, which takes files of any size."
    ),
)
def contacts() -> ResponseReturnValue:
    """Upload a contacts CSV: the same checks as `flask survey invite`, all rows or none.

    The page is for one campaign at a time (``?campaign=``, else the newest):
    its groups, units and channels are the only ones offered.
    """
    form = ContactImportForm()
    campaigns = service.campaigns_newest_first()
    form.campaign_id.choices = options((c.id, f"{c.name} ({c.code})") for c in campaigns)
    if request.method == "POST":  # the campaign the page was for; never another one
        chosen = form.campaign_id.data
    else:
        chosen = request.args.get("campaign", type=int) or (campaigns[0].id if campaigns else None)
    campaign = next((c for c in campaigns if c.id == chosen), None)
    if campaign is not None:
        form.campaign_id.data = campaign.id
        _offer_the_campaigns_own(form, campaign)
    errors: list[str] = []
    warnings: list[str] = []
    encoding = None
    if form.validate_on_submit():
        campaign = db.session.get(Campaign, form.campaign_id.data)
        group = group_by_code(form.group_code.data or "")
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            result = service.import_contacts(
                form.contacts.data.read(),
                campaign=campaign,
                group=group,
                unit=unit,
                channel=form.channel.data or "link",
            )
        except ImportRejected as rejected:
            errors = [str(error) for error in rejected.errors]
            warnings = [str(warning) for warning in rejected.warnings]
            encoding = rejected.encoding
        else:
            db.session.commit()
            return _imported(result, form.deliver.data == "csv")
    elif request.method == "POST":
        errors = [
            f"{form[name].label.text}: {' '.join(map(str, msgs))}"
            for name, msgs in form.errors.items()
        ]
    return render_template(
        "admin/contacts.html",
        form=form,
        campaign=campaign,
        campaigns=campaigns,
        errors=errors,
        warnings=warnings,
        encoding=encoding,
    )


def _imported(result: ImportResult, as_csv: bool) -> ResponseReturnValue:
    """The links of an import, once: a CSV for a mail merge or a page."""
    if as_csv:
        response = no_store(_links_csv(result), "text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="links-{result.campaign.code}-{result.group.code}.csv"'
        )
        return response
    return no_store(
        render_template(
            "admin/contacts_done.html",
            result=result,
            campaign=result.campaign,
            group=result.group,
        )
    )


def _offer_the_campaigns_own(form: ContactImportForm, campaign: Campaign) -> None:
    """Groups, units and channels of this campaign only, by their names."""
    form.group_code.choices = options(
        (s.group.code, group_label(s.group.code))
        for s in sorted(campaign.groups, key=lambda s: (s.group.position, s.group.code))
    )
    form.unit_id.choices = options(
        [(NONE, "–"), *((u.id, f"{u.name} ({u.code})") for u in campaign.units)]
    )
    used = [c for c in CONTACT_CHANNELS if c in campaign.channel_list()]
    form.channel.choices = options((c, channel_label(c)) for c in used)
    if request.method == "GET" and used and form.channel.data not in used:
        form.channel.data = used[0]
