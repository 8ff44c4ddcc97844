"""Set-up as plain functions: units and points, groups, campaigns, contacts, accounts, tokens.

What the administrator's and evaluator's set-up pages and the commands change.
Each function validates, records the audit event and flushes, all at once, or
raises SetupError having changed nothing; the view or command commits.
"""

from __future__ import annotations

from ..models import campaigns_newest_first
from .accounts import (
    USER_FIELDS,
    add_user,
    reset_password,
    set_user_active,
    update_user,
    users_by_name,
)
from .audit_trail import (
    DiffLine,
    audit_actions,
    audit_diff,
    audit_page,
)
from .campaign_rules import (
    MAX_ATTEMPTS_LIMIT,
    MAX_FOLLOWUP_DAYS,
    MAX_POPULATION,
    MAX_WEIGHT,
    CampaignInput,
    GroupSettingsInput,
    local_to_utc,
    utc_to_local,
    weight_shares,
    zone_of,
)
from .campaigns import (
    CampaignSaved,
    campaign_settings,
    fieldwork_started,
    save_campaign,
    set_questionnaire,
    set_sms_signature,
)
from .common import (
    CODE_PATTERN,
    HHMM_PATTERN,
    MAX_NAME,
    SetupError,
    check_code,
    check_name,
)
from .contacts import (
    import_contacts,
    record_contact_import,
)
from .groups import (
    add_group,
    add_own_group,
    groups_in_order,
    missing_group_codes,
    move_group,
    rename_own_group,
)
from .overview import overview_counts
from .places import (
    MAX_SHEET_TICKETS,
    campaigns_for_tickets,
    check_ticket_campaign,
    issue_ticket_sheet,
    record_ticket_issue,
    save_service_point,
    save_unit,
    tickets_ahead_notes,
)
from .tokens import (
    TOKEN_FIELDS,
    create_api_token,
    revoke_api_token,
    tokens_newest_first,
)

__all__ = [
    "audit_page",
    "overview_counts",
    "tokens_newest_first",
    "users_by_name",
    "CODE_PATTERN",
    "CampaignInput",
    "CampaignSaved",
    "DiffLine",
    "GroupSettingsInput",
    "HHMM_PATTERN",
    "MAX_ATTEMPTS_LIMIT",
    "MAX_FOLLOWUP_DAYS",
    "MAX_NAME",
    "MAX_POPULATION",
    "MAX_SHEET_TICKETS",
    "MAX_WEIGHT",
    "SetupError",
    "TOKEN_FIELDS",
    "USER_FIELDS",
    "add_group",
    "add_own_group",
    "rename_own_group",
    "add_user",
    "audit_actions",
    "audit_diff",
    "campaign_settings",
    "campaigns_for_tickets",
    "campaigns_newest_first",
    "check_code",
    "check_name",
    "check_ticket_campaign",
    "create_api_token",
    "fieldwork_started",
    "groups_in_order",
    "import_contacts",
    "set_questionnaire",
    "set_sms_signature",
    "issue_ticket_sheet",
    "local_to_utc",
    "missing_group_codes",
    "move_group",
    "record_contact_import",
    "record_ticket_issue",
    "tickets_ahead_notes",
    "reset_password",
    "revoke_api_token",
    "save_campaign",
    "save_service_point",
    "save_unit",
    "set_user_active",
    "update_user",
    "utc_to_local",
    "weight_shares",
    "zone_of",
]
