"""The data model, in SQLAlchemy 2.0 typed style: one module per domain.

- base: the clock (utcnow), the respondent groups and the channels;
- units: Unit, ServicePoint, Group;
- instruments: InstrumentVersion;
- campaigns: Campaign, CampaignGroup, ChannelInstrument (a group's questionnaire for one
  channel), and whether a campaign is open (campaign_state);
- invitations: Contact, Invitation, Ticket;
- responses: Response, Answer, ResponseScore, CallbackRequest;
- summaries: MonthlySummary (running sums per cell and month that results read);
- phone: CallCase, Attempt, DispositionRule (the phone survey's queue);
- sms: OutboundMessage, SmsOptOut (the SMS outbox);
- followup: FollowUpCase (bad reviews and their remedy);
- devices: Device (kiosk tablets an administrator enrolled);
- bursts: Burst (cards of one public source beyond its usual, held for review);
- access: User, ApiToken, AuditEvent;
- reports: ReportComment;
- opinions: Opinion (one unit, one opinion) and its RequiredFix items;
- scorecard: FrameworkVersion, Cycle and its units, campaigns and deadlines, and what a
  unit's year records (ItemScore, MethodNote, DataValue, ScoreEvent, Evidence).

Models import nothing of the services above them. Everything is re-exported
here, so ``from survey.models import Campaign`` is the one way to name a model.
"""

from __future__ import annotations

from .access import ROLES, UNIT_ROLES, ApiToken, AuditEvent, User, username_key
from .base import CHANNELS, DIMENSIONS, GROUP_CODES, GROUP_DIMENSIONS, dimension_of_code, utcnow
from .bursts import BURST_SOURCES, BURST_STATES, Burst
from .campaigns import (
    Campaign,
    CampaignGroup,
    CampaignState,
    ChannelInstrument,
    campaign_by_code,
    campaign_state,
    campaign_unit,
    campaigns_newest_first,
    latest_campaign,
)
from .devices import DEVICE_STATES, Device
from .followup import FIX_RATINGS, RATING_CHANNELS, FollowUpCase
from .instruments import InstrumentVersion
from .invitations import Contact, Invitation, Ticket
from .opinions import LOOK_BACK_OUTCOMES, OPINION_STATES, Opinion, RequiredFix
from .phone import Attempt, CallCase, DispositionRule
from .reports import ReportComment
from .responses import Answer, CallbackRequest, Response, ResponseScore
from .scorecard import (
    CYCLE_STEPS,
    DEFAULT_CYCLE_YEARS,
    FRAMEWORK_KINDS,
    SCORE_SOURCES,
    Cycle,
    CycleCampaign,
    CycleDeadline,
    CycleUnit,
    DataValue,
    Evidence,
    FrameworkVersion,
    ItemScore,
    MethodNote,
    ScoreEvent,
)
from .sms import MESSAGE_STATES, OutboundMessage, SmsOptOut
from .summaries import MonthlySummary, touch_responses
from .units import (
    Group,
    ServicePoint,
    Unit,
    forget_own_group_names,
    group_by_code,
    own_group_names,
    point_by_code,
    unit_by_code,
    units_in_code_order,
)

__all__ = [
    "BURST_SOURCES",
    "BURST_STATES",
    "Burst",
    "CYCLE_STEPS",
    "DEFAULT_CYCLE_YEARS",
    "FRAMEWORK_KINDS",
    "SCORE_SOURCES",
    "Cycle",
    "CycleCampaign",
    "CycleDeadline",
    "CycleUnit",
    "DataValue",
    "Evidence",
    "FrameworkVersion",
    "ItemScore",
    "MethodNote",
    "ScoreEvent",
    "LOOK_BACK_OUTCOMES",
    "OPINION_STATES",
    "Opinion",
    "RequiredFix",
    "CHANNELS",
    "DEVICE_STATES",
    "Device",
    "FIX_RATINGS",
    "DIMENSIONS",
    "GROUP_CODES",
    "GROUP_DIMENSIONS",
    "dimension_of_code",
    "MESSAGE_STATES",
    "RATING_CHANNELS",
    "ROLES",
    "UNIT_ROLES",
    "Answer",
    "ChannelInstrument",
    "forget_own_group_names",
    "own_group_names",
    "ApiToken",
    "Attempt",
    "AuditEvent",
    "CallCase",
    "CallbackRequest",
    "Campaign",
    "CampaignGroup",
    "CampaignState",
    "Contact",
    "DispositionRule",
    "FollowUpCase",
    "Group",
    "InstrumentVersion",
    "Invitation",
    "OutboundMessage",
    "ReportComment",
    "Response",
    "ResponseScore",
    "MonthlySummary",
    "touch_responses",
    "ServicePoint",
    "SmsOptOut",
    "Ticket",
    "Unit",
    "User",
    "campaign_by_code",
    "campaign_state",
    "campaigns_newest_first",
    "group_by_code",
    "latest_campaign",
    "point_by_code",
    "unit_by_code",
    "units_in_code_order",
    "campaign_unit",
    "username_key",
    "utcnow",
]
