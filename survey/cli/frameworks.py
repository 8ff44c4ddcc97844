"""``flask survey framework check`` / ``load`` and ``flask survey cycle add`` / ``list``."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app

from ..extensions import db
from ..models import unit_by_code
from .groups import _campaign_by_code, cycle_cli, framework_cli


@framework_cli.command("check")
@click.argument("directory", required=False)
def framework_check(directory: str | None) -> None:
    """Validate every framework and unit-set file; print ``file:item: field: problem``, exit 1."""
    from ..scorecard import check_directory, load_directory

    directory = directory or current_app.config["FRAMEWORKS_DIR"]
    errors = check_directory(directory)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        sys.exit(1)
    library = load_directory(directory)
    for framework in library.frameworks.values():
        click.echo(
            f"{framework.id}: {len(framework.categories)} categories, {len(framework.items)} items,"
            f" version {framework.version[:12]}"
        )
    for unit_set in library.unit_sets.values():
        items = sum(len(items) for items in unit_set.categories.values())
        click.echo(
            f"{unit_set.id}: {items} individual items for {', '.join(unit_set.units)},"
            f" version {unit_set.version[:12]}"
        )


@framework_cli.command("load")
def framework_load() -> None:
    """Store the current version of every framework and unit set, for cycles to be scored on."""
    from ..scorecard import FrameworkError
    from ..scorecard.store import register_versions

    try:
        added = register_versions()
    except FrameworkError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    db.session.commit()
    for row in added:
        click.echo(f"stored {row.kind} {row.file_id} version {row.version[:12]}")
    if not added:
        click.echo("all framework versions already stored")


def _year_pairs(values: tuple[str, ...], option: str) -> dict[int, str]:
    pairs: dict[int, str] = {}
    for value in values:
        year, sep, rest = value.partition("=")
        if not sep or not year.isdigit() or not rest:
            raise click.BadParameter(f"{value!r}: write YEAR=VALUE", param_hint=option)
        pairs[int(year)] = rest
    return pairs


def _deadlines(values: tuple[str, ...]) -> dict[tuple[int, str], dt.date]:
    deadlines: dict[tuple[int, str], dt.date] = {}
    for value in values:
        key, sep, day = value.partition("=")
        year, colon, step = key.partition(":")
        try:
            due = dt.date.fromisoformat(day)
        except ValueError:
            due = None
        if not sep or not colon or not year.isdigit() or due is None:
            raise click.BadParameter(
                f"{value!r}: write YEAR:STEP=YYYY-MM-DD", param_hint="--deadline"
            )
        deadlines[(int(year), step)] = due
    return deadlines


@cycle_cli.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--framework", "framework_id", required=True, help="the framework's id")
@click.option("--first-year", type=int, required=True)
@click.option("--years", type=int, default=3, show_default=True)
@click.option("--unit", "units", multiple=True, required=True, help="a unit code (repeat)")
@click.option("--campaign", "campaigns", multiple=True, help="YEAR=CAMPAIGN_CODE (repeat)")
@click.option("--deadline", "deadlines", multiple=True, help="YEAR:STEP=YYYY-MM-DD (repeat)")
def cycle_add(
    code: str,
    name: str,
    framework_id: str,
    first_year: int,
    years: int,
    units: tuple[str, ...],
    campaigns: tuple[str, ...],
    deadlines: tuple[str, ...],
) -> None:
    """Open an evaluation cycle on the stored version of a framework file."""
    from ..scorecard import FrameworkError
    from ..scorecard.cycles import CycleSpec, open_cycle
    from ..scorecard.messages import ScorecardError
    from ..scorecard.store import current_library, framework_version

    try:
        framework = current_library().frameworks.get(framework_id)
    except FrameworkError as error:  # the files as they are now, to find the current version
        click.echo(f"{error}\n(`flask survey framework check` lists every problem)", err=True)
        sys.exit(1)
    row = None if framework is None else framework_version(framework.version)
    if row is None:
        click.echo(
            f"framework {framework_id!r} is not stored: run `flask survey framework load`", err=True
        )
        sys.exit(1)
    found = []
    for unit_code in units:
        unit = unit_by_code(unit_code)
        if unit is None:
            raise click.BadParameter(f"no unit with code {unit_code!r}", param_hint="--unit")
        found.append(unit)
    fed = {year: _campaign_by_code(c) for year, c in _year_pairs(campaigns, "--campaign").items()}
    spec = CycleSpec(code, name, row, first_year, found, years, fed, _deadlines(deadlines))
    try:
        cycle = open_cycle(spec)
    except ScorecardError as error:
        db.session.rollback()
        click.echo(str(error), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"opened cycle {cycle.code} ({cycle.first_year}-{cycle.first_year + years - 1})")
