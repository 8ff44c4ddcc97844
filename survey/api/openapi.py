"""The OpenAPI 3.1 document of the indicator API, written by hand.

Written rather than generated so that it says what the evaluation system may
rely on (null means suppressed, a missing field means "not measured here"),
and checked in the tests against the running API with schemathesis.
"""

from __future__ import annotations

import copy
from typing import Any

from ..results.publication import API_BY
from .openapi_scorecard import SCORECARD_SCHEMAS, scorecard_paths

__all__ = ["openapi_document"]


def _nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
}
_NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}

_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "The campaign's code.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[^/]+$"},
}

ESTIMATE = {
    "type": "object",
    "description": (
        "An estimate with its uncertainty. When suppressed (fewer than k respondents, "
        "or withheld so that no such figure can be worked out from this and every other "
        "published figure, over all periods and breakdowns), estimate, se, df, ci_low, "
        "ci_high and n are null and suppression_reason says why. A shown figure says "
        "whether it meets the "
        "reliability standard (NCHS Data Presentation Standards for Proportions, 2017, "
        "for the share; a relative-standard-error rule with the same effective sample "
        "size, df and width rules for the index): a figure whose reliable is false must "
        "not be ranked."
    ),
    "required": [
        "estimate",
        "se",
        "df",
        "ci_low",
        "ci_high",
        "level",
        "n",
        "reliable",
        "reasons",
        "cautions",
        "collapsed",
        "kish_floor",
        "suppressed",
        "suppression_reason",
    ],
    "additionalProperties": False,
    "properties": {
        "estimate": _nullable("number"),
        "se": _nullable("number", minimum=0, description="Standard error."),
        "df": _nullable("number", description="Degrees of freedom of the t interval."),
        "ci_low": _nullable("number"),
        "ci_high": _nullable("number"),
        "level": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "n": _nullable("integer", minimum=0, description="Null when suppressed."),
        "reliable": _nullable(
            "boolean",
            description="Meets the reliability standard; null when suppressed.",
        ),
        "reasons": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": [
                    "n_effective",
                    "weight_concentrated",
                    "df",
                    "ci_width",
                    "relative_ci_width",
                    "rse",
                    "input_unreliable",
                    "no_common_groups",
                    "not_assessed",
                ],
            },
            "description": "Codes of the reliability rules the figure fails (empty if reliable).",
        },
        "cautions": {
            "type": "array",
            "items": {"type": "string", "enum": ["complement", "boundary"]},
            "description": "Footnotes that do not make the figure unreliable.",
        },
        "collapsed": {
            "type": "array",
            "description": (
                "Groups with one respondent whose variance was estimated together with "
                "the groups named in 'with' (collapsed strata; R's default would be "
                "'adjust'); 'with' is empty where no group could take it."
            ),
            "items": {
                "type": "object",
                "required": ["group", "with"],
                "properties": {
                    "group": {"type": "string"},
                    "with": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "kish_floor": _nullable(
            "boolean",
            description=(
                "The standard error is Kish's, from the weights, because the groups' own "
                "was smaller (a departure from R's design variance)."
            ),
        ),
        "suppressed": {"type": "boolean"},
        "suppression_reason": _nullable("string"),
    },
}

CAMPAIGN_SUMMARY_PROPERTIES = {
    "code": {"type": "string"},
    "name": {"type": "string"},
    "period_start": {"type": "string", "format": "date"},
    "period_end": {"type": "string", "format": "date"},
    "timezone": {"type": "string"},
    "open": {"type": "boolean", "description": "Whether the campaign takes answers now."},
}
_SUMMARY_REQUIRED = list(CAMPAIGN_SUMMARY_PROPERTIES)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "Estimate": ESTIMATE,
    "CampaignSummary": {
        "type": "object",
        "required": _SUMMARY_REQUIRED,
        "properties": CAMPAIGN_SUMMARY_PROPERTIES,
    },
    "Campaign": {
        "type": "object",
        "required": [
            *_SUMMARY_REQUIRED,
            "opens_at",
            "closes_at",
            "channels",
            "indicators",
            "groups",
        ],
        "properties": {
            **CAMPAIGN_SUMMARY_PROPERTIES,
            "opens_at": _nullable("string", format="date-time"),
            "closes_at": _nullable("string", format="date-time"),
            "channels": {"type": "array", "items": {"type": "string"}},
            "indicators": {"type": "array", "items": {"type": "string"}},
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "instrument", "policy_weight", "population"],
                    "properties": {
                        "code": {"type": "string"},
                        "instrument": {"type": "string"},
                        "policy_weight": _nullable("number", minimum=0),
                        "population": _nullable("integer", minimum=1),
                    },
                },
            },
        },
    },
    "Unit": {
        "type": "object",
        "required": ["code", "name", "kind", "service_points"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": _nullable("string"),
            "service_points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name"],
                    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                },
            },
        },
    },
    "IndicatorRow": {
        "type": "object",
        "description": (
            "One unit (and group, when broken down by group) and one indicator: the "
            "satisfaction index (0-100) and the share satisfied (0-1), of one dimension: "
            "'external' (the people served and the stakeholders who evaluate the unit) "
            "or 'staff' (the unit's own staff on their unit), never pooled."
        ),
        "required": [
            "dimension",
            "unit_code",
            "unit_name",
            "group",
            "channel",
            "service_point_code",
            "service_point_name",
            "indicator",
            "n",
            "index",
            "share_satisfied",
        ],
        "properties": {
            "dimension": {"type": "string", "enum": ["external", "staff"]},
            "unit_code": {"type": "string"},
            "unit_name": {"type": "string"},
            "group": _nullable("string", description="Null unless by=unit,group."),
            "channel": _nullable(
                "string",
                description="The channel (qr, kiosk, ticket, link, sms, phone, ivr, ...); "
                "null unless by=unit,channel.",
            ),
            "service_point_code": _nullable(
                "string",
                description="The service point; null unless by=unit,point, and there "
                "null for the unit's answers that came through no service point.",
            ),
            "service_point_name": _nullable("string"),
            "indicator": {"type": "string"},
            "n": _nullable(
                "integer",
                minimum=0,
                description="Respondents of the groups shown; null when suppressed.",
            ),
            "index": _ref("Estimate"),
            "share_satisfied": _ref("Estimate"),
        },
    },
    "Indicators": {
        "type": "object",
        "required": [
            "campaign",
            "period",
            "period_start",
            "period_end",
            "by",
            "settings",
            "results",
        ],
        "properties": {
            "campaign": {"type": "string"},
            "period": _nullable("string", description="The period asked for; null for all."),
            "period_start": {"type": "string", "format": "date"},
            "period_end": {"type": "string", "format": "date"},
            "by": {"type": "string", "enum": list(API_BY)},
            "settings": {
                "type": "object",
                "required": [
                    "weighting",
                    "k",
                    "level",
                    "interval_method_index",
                    "interval_method_share",
                    "df_method",
                    "lonely_stratum",
                ],
                "properties": {
                    "weighting": {"type": "string", "enum": ["policy", "population"]},
                    "k": {"type": "integer", "minimum": 0},
                    "level": {"type": "number"},
                    "interval_method_index": {"type": "string"},
                    "interval_method_share": {
                        "type": "string",
                        "enum": ["korn-graubard", "logit", "wilson"],
                    },
                    "df_method": {
                        "type": "string",
                        "enum": ["design", "satterthwaite", "pooled"],
                    },
                    "lonely_stratum": {"type": "string"},
                },
            },
            "results": {"type": "array", "items": _ref("IndicatorRow")},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The whole document (a fresh dict each call, so callers may change their copy)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Satisfaction survey indicator API",
            "version": "1.0.0",
            "description": (
                "Read-only satisfaction indicators, and the evaluation scorecard's cycles, "
                "unit scores and issued opinions, for the institution-evaluation system. "
                "Every figure comes with its standard error, degrees of freedom and interval; "
                "small cells are suppressed (null figures with a reason). Weighting: the "
                "campaign's policy group weights renormalised over the groups present. "
                "Authenticate with `Authorization: Bearer <token>` "
                "(`flask survey api-token add NAME`)."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            **_campaign_paths(),
            **_one_campaign_paths(),
            **_indicator_paths(),
            **scorecard_paths(),
        },
        "components": _components(),
    }


def _campaign_paths() -> dict[str, Any]:
    """The document itself and the list of campaigns."""
    return {
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
            }
        },
        "/campaigns": {
            "get": {
                "operationId": "listCampaigns",
                "summary": "Every published campaign, newest period first (a draft is not listed).",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["campaigns"],
                            "properties": {
                                "campaigns": {
                                    "type": "array",
                                    "items": _ref("CampaignSummary"),
                                }
                            },
                        },
                        "The campaigns.",
                    ),
                    **_ERRORS,
                },
            }
        },
    }


def _one_campaign_paths() -> dict[str, Any]:
    """One campaign and its units."""
    return {
        "/campaigns/{code}": {
            "get": {
                "operationId": "getCampaign",
                "summary": "A campaign: period, channels, indicators, groups and weights.",
                "parameters": [_CODE],
                "responses": {
                    "200": _json(_ref("Campaign"), "The campaign."),
                    **_ERRORS,
                    **_NOT_FOUND,
                },
            }
        },
        "/campaigns/{code}/units": {
            "get": {
                "operationId": "listUnits",
                "summary": "The units evaluated in a campaign, with their service points.",
                "parameters": [_CODE],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["campaign", "units"],
                            "properties": {
                                "campaign": {"type": "string"},
                                "units": {"type": "array", "items": _ref("Unit")},
                            },
                        },
                        "The units.",
                    ),
                    **_ERRORS,
                    **_NOT_FOUND,
                },
            }
        },
    }


def _indicator_paths() -> dict[str, Any]:
    """The indicators of a campaign: the figures the evaluation system reads."""
    return {
        "/campaigns/{code}/indicators": {
            "get": {
                "operationId": "getIndicators",
                "summary": "Satisfaction index and share satisfied per unit (and group) "
                "and indicator.",
                "parameters": [
                    _CODE,
                    {
                        "name": "period",
                        "in": "query",
                        "required": False,
                        "description": "A year (2025), quarter (2025-Q2) or month (2025-06) "
                        "inside the campaign; all of the campaign when left out.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "unit",
                        "in": "query",
                        "required": False,
                        "description": "Only this unit (its code).",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "by",
                        "in": "query",
                        "required": False,
                        "description": (
                            "Break down by unit (default), by unit and group, by unit and "
                            "channel, or by unit and service point. By channel or service "
                            "point the figures cover the whole campaign only (disclosure "
                            "control publishes them no finer), so a period is refused (400)."
                        ),
                        "schema": {"type": "string", "enum": list(API_BY)},
                    },
                ],
                "responses": {
                    "200": _json(_ref("Indicators"), "The indicators."),
                    "400": _json(
                        _ref("Error"),
                        "A period, unit or break-down that cannot "
                        "be answered; the message says why.",
                    ),
                    **_ERRORS,
                    **_NOT_FOUND,
                },
            }
        },
    }


def _components() -> dict[str, Any]:
    """Security scheme, shared responses and the schemas (copied: callers may change them)."""
    return {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token from `flask survey api-token add NAME`.",
            }
        },
        "responses": {
            "Unauthorized": _json(_ref("Error"), "No valid API token."),
            "NotFound": _json(_ref("Error"), "No campaign with this code."),
        },
        "schemas": copy.deepcopy({**SCHEMAS, **SCORECARD_SCHEMAS}),
    }
