"""API views: JSON only, bearer-token authentication, no session, no CSRF.

Thin: the figures come from :mod:`survey.results.publication` and the
scorecard's from :mod:`survey.scorecard.published`; errors are JSON
``{"error": message}`` with 400 (a query that cannot be answered as asked) or
404 (no such campaign or cycle).
"""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from ..extensions import db
from ..results import ResultsError
from ..results import publication as service
from ..scorecard import published as scorecard
from ..scorecard.cycles import cycle_by_code
from ..scorecard.messages import ScorecardError
from ..web.guards import api_token_required, public
from . import bp
from .openapi import openapi_document


def _not_found(code: str) -> ResponseReturnValue:
    return jsonify(error=f"no campaign with code {code!r}"), 404


@bp.route("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    """The OpenAPI document of this API (public, so a client can be built before a token)."""
    return jsonify(openapi_document())


@bp.route("/campaigns")
@api_token_required
def campaigns() -> ResponseReturnValue:
    return jsonify(campaigns=service.campaign_list())


@bp.route("/campaigns/<code>")
@api_token_required
def campaign(code: str) -> ResponseReturnValue:
    found = service.find_campaign(code)
    if found is None:
        return _not_found(code)
    return jsonify(service.campaign_detail(found))


@bp.route("/campaigns/<code>/units")
@api_token_required
def units(code: str) -> ResponseReturnValue:
    found = service.find_campaign(code)
    if found is None:
        return _not_found(code)
    return jsonify(campaign=found.code, units=service.campaign_units(found))


@bp.route("/campaigns/<code>/indicators")
@api_token_required
def indicators(code: str) -> ResponseReturnValue:
    found = service.find_campaign(code)
    if found is None:
        return _not_found(code)
    try:
        body = service.indicator_results(
            found,
            period=request.args.get("period"),
            unit=request.args.get("unit"),
            by=request.args.get("by"),
        )
    except ResultsError as error:
        db.session.rollback()
        return jsonify(error=str(error)), 400
    return jsonify(body)


def _no_cycle(code: str) -> ResponseReturnValue:
    return jsonify(error=f"no cycle with code {code!r}"), 404


@bp.route("/cycles")
@api_token_required
def cycles() -> ResponseReturnValue:
    return jsonify(cycles=scorecard.cycle_list())


@bp.route("/cycles/<code>")
@api_token_required
def cycle(code: str) -> ResponseReturnValue:
    found = cycle_by_code(code)
    if found is None:
        return _no_cycle(code)
    return jsonify(scorecard.cycle_detail(found))


@bp.route("/cycles/<code>/scores")
@api_token_required
def cycle_scores(code: str) -> ResponseReturnValue:
    found = cycle_by_code(code)
    if found is None:
        return _no_cycle(code)
    try:
        year = scorecard.year_of(found, request.args.get("year"))
    except ScorecardError as error:
        return jsonify(error=str(error)), 400
    return jsonify(scorecard.unit_scores(found, year))


@bp.route("/cycles/<code>/opinions")
@api_token_required
def cycle_opinions(code: str) -> ResponseReturnValue:
    found = cycle_by_code(code)
    if found is None:
        return _no_cycle(code)
    year = None
    if request.args.get("year"):
        try:
            year = scorecard.year_of(found, request.args.get("year"))
        except ScorecardError as error:
            return jsonify(error=str(error)), 400
    return jsonify(scorecard.issued_opinions_of(found, year))
