"""The scorecard's part of the OpenAPI document: cycles, unit scores and issued opinions.

Kept beside :mod:`survey.api.openapi` (the indicators' part) so each stays a
readable size; :func:`survey.api.openapi.openapi_document` merges both.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["SCORECARD_SCHEMAS", "scorecard_paths"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _or_null(name: str) -> dict[str, Any]:
    return {"anyOf": [_ref(name), {"type": "null"}]}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": "object",
        "required": sorted(properties),
        "properties": properties,
    }
    if description:
        found["description"] = description
    return found


_TEXT = {
    "type": "object",
    "description": "A text per language (zh_Hans always; zh_Hant and en where the file has them).",
    "additionalProperties": {"type": "string"},
}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_OUTCOME = {
    "type": ["string", "null"],
    "enum": ["rectified", "partly", "not_rectified", None],
    "description": "What the round's look-back found (null before it).",
}
_CYCLE_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "The cycle's code.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[^/]+$"},
}
_YEAR = {
    "name": "year",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
}
_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": _json(_ref("Error"), "No cycle with this code."),
}
_BAD_YEAR = {"400": _json(_ref("Error"), "A year that is not one of the cycle's.")}

SCORECARD_SCHEMAS: dict[str, Any] = {
    "Points": _object(
        {"points": {"type": "number"}, "low": {"type": "number"}, "high": {"type": "number"}},
        "Points with their 95% interval (low = high where no survey item feeds them).",
    ),
    "CycleSummary": _object(
        {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "framework": {"type": "string"},
            "framework_version": {"type": "string", "description": "Content hash."},
            "first_year": {"type": "integer"},
            "years": {"type": "array", "items": {"type": "integer"}},
        }
    ),
    "Cycle": {
        "allOf": [
            _ref("CycleSummary"),
            _object(
                {
                    "total": {"type": "number"},
                    "grades": {
                        "type": "array",
                        "items": _object(
                            {"id": {"type": "string"}, "lower": _NULLABLE_NUMBER, "title": _TEXT}
                        ),
                    },
                    "units": {
                        "type": "array",
                        "items": _object({"code": {"type": "string"}, "name": {"type": "string"}}),
                    },
                    "campaigns": {
                        "type": "array",
                        "items": _object(
                            {"year": {"type": "integer"}, "campaign": {"type": "string"}}
                        ),
                    },
                    "deadlines": {
                        "type": "array",
                        "items": _object(
                            {
                                "year": {"type": "integer"},
                                "step": {"type": "string"},
                                "due": {"type": "string", "format": "date"},
                            }
                        ),
                    },
                }
            ),
        ]
    },
    "GradeOdds": _object(
        {
            "id": {"type": "string"},
            "title": _TEXT,
            "uncertain": {"type": "boolean"},
            "probabilities": {
                "type": "array",
                "items": _object(
                    {"id": {"type": "string"}, "title": _TEXT, "p": {"type": "number"}}
                ),
            },
        },
        "The grade of the total and, where its interval crosses a threshold, each grade's chance.",
    ),
    "UnitScore": _object(
        {
            "unit": {"type": "string"},
            "name": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["scored", "missing", "withheld", "unreliable"],
                "description": "missing: an item has no figure yet; withheld: a survey figure "
                "is suppressed; unreliable: scored but not ranked.",
            },
            "total": _or_null("Points"),
            "rank": {
                "anyOf": [
                    _object(
                        {
                            "rank": {"type": "integer"},
                            "low": {"type": "integer"},
                            "high": {"type": "integer"},
                        }
                    ),
                    {"type": "null"},
                ]
            },
            "grade": _or_null("GradeOdds"),
            "change": _or_null("Points"),
            "categories": {
                "type": "array",
                "items": _object(
                    {
                        "id": {"type": "string"},
                        "title": _TEXT,
                        "points": _NULLABLE_NUMBER,
                        "max": _NULLABLE_NUMBER,
                    }
                ),
            },
            "missing": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "IssuedOpinion": _object(
        {
            "unit": {"type": "string"},
            "year": {"type": "integer"},
            "issued_at": {"type": "string", "format": "date-time"},
            "opinion": {
                "type": "object",
                "description": "The opinion as issued: scorecard, comments, problems, "
                "suggestions and fixes (frozen when issued).",
            },
            "fixes": {
                "type": "array",
                "items": _object(
                    {
                        "position": {"type": "integer"},
                        "text": {"type": "string"},
                        "round": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "The round that stands: 1 as the opinion required "
                            "it, one more after each look-back that found it partly or not "
                            "rectified (the unit rectifies it again by a new deadline).",
                        },
                        "due": {
                            "type": "string",
                            "format": "date",
                            "description": "The deadline of the round that stands.",
                        },
                        "status": {
                            "type": "string",
                            "enum": ["open", "overdue", "reported", "closed"],
                            "description": "Of the round that stands.",
                        },
                        "outcome": _OUTCOME,
                        "earlier_rounds": {
                            "type": "array",
                            "description": "The rounds before, first to last, each closed by "
                            "a look-back that found the fix partly or not rectified.",
                            "items": _object(
                                {
                                    "round": {"type": "integer", "minimum": 1},
                                    "due": {"type": "string", "format": "date"},
                                    "outcome": _OUTCOME,
                                    "looked_back_on": {
                                        "type": ["string", "null"],
                                        "format": "date",
                                        "description": "The office's calendar day of the "
                                        "look-back.",
                                    },
                                }
                            ),
                        },
                    },
                    "A required fix, by the round of it that stands.",
                ),
            },
        }
    ),
}


def _by_year(operation: str, summary: str, year: str, body: dict[str, Any], what: str) -> Any:
    """An operation on one cycle that takes ``?year=`` and answers ``body``."""
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "parameters": [_CYCLE_CODE, {**_YEAR, "description": year}],
            "responses": {"200": _json(_object(body), what), **_BAD_YEAR, **_ERRORS},
        }
    }


def _cycle_paths() -> dict[str, Any]:
    return {
        "/cycles": {
            "get": {
                "operationId": "listCycles",
                "summary": "Every evaluation cycle, newest first.",
                "responses": {
                    "200": _json(
                        _object({"cycles": {"type": "array", "items": _ref("CycleSummary")}}),
                        "The cycles.",
                    ),
                    "401": _ERRORS["401"],
                },
            }
        },
        "/cycles/{code}": {
            "get": {
                "operationId": "getCycle",
                "summary": "A cycle: framework version, units, feeding campaigns, deadlines.",
                "parameters": [_CYCLE_CODE],
                "responses": {"200": _json(_ref("Cycle"), "The cycle."), **_ERRORS},
            }
        },
    }


def scorecard_paths() -> dict[str, Any]:
    """The four scorecard operations (a fresh copy each call)."""
    scores = _by_year(
        "getUnitScores",
        "Every unit's total with its interval, rank, grade, change and category points in "
        "one year (for the annual performance assessment).",
        "A year of the cycle; its last by default.",
        {
            "cycle": {"type": "string"},
            "year": {"type": "integer"},
            "units": {"type": "array", "items": _ref("UnitScore")},
        },
        "The units' scores, best rank first.",
    )
    opinions = _by_year(
        "listIssuedOpinions",
        "The cycle's issued opinions (drafts are never published).",
        "Only this year of the cycle.",
        {
            "cycle": {"type": "string"},
            "opinions": {"type": "array", "items": _ref("IssuedOpinion")},
        },
        "The issued opinions, by year and unit.",
    )
    return copy.deepcopy(
        {
            **_cycle_paths(),
            "/cycles/{code}/scores": scores,
            "/cycles/{code}/opinions": opinions,
        }
    )
