"""The fieldwork monitor: responses against targets, invitations, flagged bursts (on reload).

Administrators only. Its counts are exact, per unit and group, per group and
channel, per service point, and the phone rates carry their case counts: an
evaluator holding them beside the published figures could subtract the
published parts from them and learn the size (and, through the flagged and
lowest-rating counts, the answers) of a cell the results withhold. The people
who read results see respondent counts only as the results publish them (each
figure's n, withheld below k, survey.results.protection); the administrator who
runs the fieldwork (contact lists, devices, the phone team) sees them exactly.
"""

from __future__ import annotations

from flask import make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext

from ..labels import group_label
from ..models import Campaign
from ..results import fieldwork
from ..results.readable import readable_campaigns
from ..results.response_rates import disposition_rows, partial_thresholds, phone_response_rates
from ..stats.aapor import ResponseRates
from ..web.guards import role_required
from . import bp
from .found import chosen_campaign_or_404


def _phone_rate_rows(campaign: Campaign) -> list[tuple[str, ResponseRates | None]]:
    """AAPOR rates of the campaign's phone cases, whole, by group and by unit (never by operator:
    who called whom stays with the phone team)."""
    whole = phone_response_rates(campaign)
    if not whole:
        return []
    rows: list[tuple[str, ResponseRates | None]] = [(gettext("Campaign"), whole.get(None))]
    for code, rates in sorted(phone_response_rates(campaign, by="group").items()):
        rows.append((gettext("Group: %(group)s", group=group_label(code)), rates))
    units = {u.id: u for u in campaign.units}
    for unit_id, rates in sorted(phone_response_rates(campaign, by="unit").items()):
        unit = units.get(unit_id)
        rows.append((unit.name if unit else str(unit_id), rates))
    return rows


@bp.route("/fieldwork", endpoint="fieldwork")
@role_required("admin")
def fieldwork_view() -> ResponseReturnValue:
    """The campaign chosen with ?campaign=<id>, else the newest open one."""
    raw = request.args.get("campaign", "").strip()
    campaign = chosen_campaign_or_404(raw) if raw else fieldwork.default_campaign()
    context: dict[str, object] = {"campaign": campaign, "campaigns": readable_campaigns()}
    if campaign is not None:
        units = fieldwork.unit_group_progress(campaign)
        by_channel = fieldwork.responses_by_channel(campaign)
        channels = sorted({c.channel for c in by_channel})
        context.update(
            units=units,
            groups=fieldwork.group_progress(campaign, units),
            channels=channels,
            channel_counts={(c.group, c.channel): c.counted for c in by_channel},
            channel_groups=list(dict.fromkeys(c.group for c in by_channel)),
            channel_totals={
                ch: sum(c.counted for c in by_channel if c.channel == ch) for ch in channels
            },
            invitations=fieldwork.invitation_progress(campaign),
            flagged_units=fieldwork.flagged_by_unit(campaign),
            flagged_points=fieldwork.flagged_by_service_point(campaign),
            phone_rates=_phone_rate_rows(campaign),
            dispositions=disposition_rows(),
            thresholds=partial_thresholds(campaign, str(get_locale() or "zh_Hans")),
        )
    response = make_response(render_template("evaluate/fieldwork.html", **context))
    response.headers["Cache-Control"] = "no-store"
    return response
