"""The results table as files: CSV for machines, XLSX for people, with the settings used.

Evaluators hand these files on, so a file must say how its numbers were made
(weighting, group weights and populations, k, interval method, level, df,
period, instrument versions) and must never carry a suppressed figure.

Layout, chosen once:

- CSV (UTF-8 with a byte-order mark, so Excel in a Chinese locale opens it
  correctly; RFC 4180: comma, double quotes, CRLF): one table, one header row
  of stable English column keys, one row per cell. A settings block above the
  table would break every CSV reader, so only the two settings that change
  from file to file, ``weighting`` and ``period``, are repeated as columns on
  every row; the full settings are in the XLSX.
- XLSX: sheet "results" (the same columns, translated headings, the
  dimension and the group by name in the reader's language, numbers as
  numbers with number formats, header row frozen) and sheet "settings"
  (every setting, the groups' weights, populations and targets, and the
  instrument versions answered).

Suppressed cells leave every figure empty, n too (an exact n of a withheld
cell is one more equation for whoever wants to work it out); the reason says
whether it has fewer than k respondents or is withheld beside such a cell.
Every shown figure says whether it meets the reliability standard
(``index_reliable``, ``share_reliable``) and, if not, the codes of the rules
it fails (``index_reasons``, ``share_reasons``: survey.stats.REASONS);
``reading`` says the same, and where a figure departs from R's default, in
the reader's language.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..labels import group_label, published_dimension_label
from ..models import Campaign, CampaignGroup, Group, InstrumentVersion, Response, utcnow
from ..spreadsheets import csv_text, xlsx_text_cells
from .estimates import ResultRow
from .messages import N_, ResultsError, text
from .options import DIMENSION_CHOICES, PUBLISHED, Dimension
from .periods import Period, resolve_period, utc_offset_minutes
from .reading import row_notes
from .service import satisfaction
from .settings import campaign_groups
from .summaries import not_excluded

__all__ = [
    "EXPORT_BY",
    "ExportSettings",
    "ResultsTable",
    "results_csv",
    "results_table",
    "results_xlsx",
    "table_records",
]

# What an export may be broken down by: units, or units and groups.
EXPORT_BY: dict[str, tuple[str, ...]] = {"unit": ("unit",), "unit,group": ("unit", "group")}

INDICATOR = "satisfaction.overall"


@dataclass(frozen=True, slots=True)
class GroupSettingRow:
    """A group's settings in the campaign as the export states them."""

    group: str
    instrument_id: str
    policy_weight: float | None
    population: int | None
    target: int | None


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """Everything a reader needs to reproduce the numbers of an export."""

    campaign_code: str
    campaign_name: str
    indicator: str
    by: str
    weighting: str
    k: int
    method: str
    level: float
    df: str
    lonely: str
    period: str
    period_start: dt.date
    period_end: dt.date
    generated_at: dt.datetime
    groups: tuple[GroupSettingRow, ...]
    instrument_versions: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True, slots=True)
class ResultsTable:
    """The rows of an export and the settings they were computed with."""

    rows: tuple[ResultRow, ...]
    settings: ExportSettings

    @property
    def by_group(self) -> bool:
        return self.settings.by == "unit,group"


def parse_export_by(value: str | None) -> str:
    """``by`` of an export: "unit" (default) or "unit,group"; anything else is refused."""
    raw = (value or "unit").replace(" ", "")
    if raw not in EXPORT_BY:
        raise ResultsError(
            N_("An export is broken down by %(choices)s, not %(value)s."),
            choices=" or ".join(EXPORT_BY),
            value=repr(value),
        )
    return raw


def published_results(
    campaign: Campaign,
    *,
    by: str | tuple[str, ...],
    indicator: str | Sequence[str],
    period: str | None,
    k: int,
    units: Sequence[int] | None = None,
) -> list[ResultRow]:
    """The combined figures with the fixed settings files and the API publish.

    One place for them, so an export and the indicator API can never disagree
    about a figure they both carry. Both dimensions are published, as rows of
    their own: the people served and the stakeholders ("external"), and the
    unit's own staff ("staff"), never pooled.
    """
    rows: list[ResultRow] = []
    for dimension in get_args(Dimension):
        rows += satisfaction(
            campaign,
            by=EXPORT_BY[by] if isinstance(by, str) else by,
            indicator=indicator,
            period=period,
            options=dataclasses.replace(PUBLISHED, k=k, dimension=dimension),
            units=units,
        )
    return rows


def results_table(
    campaign: Campaign, *, by: str | None = "unit", period: str | None = None
) -> ResultsTable:
    """The results table of a campaign with the settings it used.

    Rows are ordered by unit code, then by the groups' display order (as on the
    results pages), not alphabetically by group code.
    """
    by_text = parse_export_by(by)
    period = (period or "").strip() or None
    published = PUBLISHED.checked().for_campaign(campaign)
    k = published.small_cell_k
    rows = published_results(campaign, by=by_text, indicator=INDICATOR, period=period, k=k)
    groups = _group_settings(campaign)
    position = {g.group: i for i, g in enumerate(groups)}
    dimensions = {d: i for i, d in enumerate(DIMENSION_CHOICES)}
    rows.sort(
        key=lambda r: (
            dimensions[r.dimension],
            r.unit_code or "",
            position.get(r.group or "", -1),
        )
    )
    window = resolve_period(campaign, period)
    if window is None:
        window = Period(campaign.period_start, campaign.period_end + dt.timedelta(days=1), "")
    settings = ExportSettings(
        campaign_code=campaign.code,
        campaign_name=campaign.name,
        indicator=INDICATOR,
        by=by_text,
        weighting=published.used_weighting,
        k=k,
        method=published.method,
        level=published.level,
        df=published.df,
        lonely=published.lonely,
        period=window.label or "all",
        period_start=window.start,
        period_end=window.end - dt.timedelta(days=1),
        generated_at=utcnow().replace(microsecond=0),
        groups=groups,
        instrument_versions=instrument_versions(campaign, window),
    )
    return ResultsTable(rows=tuple(rows), settings=settings)


def _group_settings(campaign: Campaign) -> tuple[GroupSettingRow, ...]:
    """Each group's settings; its questionnaire with those of its channels (``card; phone: …``)."""
    rows = db.session.execute(
        select(Group.code, CampaignGroup.target)
        .join(Group, Group.id == CampaignGroup.group_id)
        .where(CampaignGroup.campaign_id == campaign.id)
        .order_by(Group.position, Group.code)
    ).all()
    settings = campaign_groups(campaign)
    return tuple(
        GroupSettingRow(
            code,
            settings[code].instrument_text(),
            settings[code].weight,
            settings[code].population,
            target,
        )
        for code, target in rows
    )


def instrument_versions(campaign: Campaign, window: Period) -> tuple[tuple[str, str, int], ...]:
    """(instrument id, version hash, responses) of the counted responses in the period.

    The same responses as the results count: submitted, not flagged, not
    excluded in the follow-up, inside the period in the campaign's time zone.
    """
    shift = dt.timedelta(minutes=utc_offset_minutes(campaign))
    start = dt.datetime.combine(window.start, dt.time()) - shift
    end = dt.datetime.combine(window.end, dt.time()) - shift
    rows = db.session.execute(
        select(InstrumentVersion.instrument_id, InstrumentVersion.version, func.count())
        .join(Response, Response.instrument_version_id == InstrumentVersion.id)
        .where(
            Response.campaign_id == campaign.id,
            Response.submitted_at.is_not(None),
            Response.flagged.is_(False),
            not_excluded(Response.id),
            Response.submitted_at >= start,
            Response.submitted_at < end,
        )
        .group_by(InstrumentVersion.instrument_id, InstrumentVersion.version)
        .order_by(InstrumentVersion.instrument_id, InstrumentVersion.version)
    ).all()
    return tuple((iid, version, int(n)) for iid, version, n in rows)


# ---------------------------------------------------------------------------
# Columns

# (key, heading, number format or None for text). Keys are the CSV header and
# never change; headings are for people (XLSX).
_PERCENT = "0.0%"
COLUMNS: tuple[tuple[str, Any, str | None], ...] = (
    ("weighting", _l("Weighting"), None),
    ("period", _l("Period"), None),
    ("dimension", _l("Dimension"), None),
    ("unit_code", _l("Unit code"), None),
    ("unit_name", _l("Unit"), None),
    ("group", _l("Group"), None),
    ("n", _l("n"), "0"),
    ("index_estimate", _l("Satisfaction index"), "0.0"),
    ("index_se", _l("Index SE"), "0.00"),
    ("index_df", _l("Index df"), "0.0"),
    ("index_low", _l("Index interval low"), "0.0"),
    ("index_high", _l("Index interval high"), "0.0"),
    ("share_satisfied", _l("Share satisfied"), _PERCENT),
    ("share_se", _l("Share SE"), "0.0000"),
    ("share_df", _l("Share df"), "0.0"),
    ("share_low", _l("Share interval low"), _PERCENT),
    ("share_high", _l("Share interval high"), _PERCENT),
    ("index_reliable", _l("Index reliable"), None),
    ("index_reasons", _l("Index: rules failed"), None),
    ("share_reliable", _l("Share reliable"), None),
    ("share_reasons", _l("Share: rules failed"), None),
    ("reading", _l("How to read it"), None),
    ("suppressed", _l("Suppressed"), None),
    ("suppression_reason", _l("Reason for suppression"), None),
    ("note", _l("Note"), None),
)


def columns(table: ResultsTable) -> list[tuple[str, Any, str | None]]:
    """The columns of this table (the group column only when broken down by group)."""
    return [c for c in COLUMNS if c[0] != "group" or table.by_group]


def suppression_reason(k: int, complementary: bool = False) -> str:
    """Why a row's figures are empty: too few responses, or beside a row that has."""
    if complementary:
        return text(N_("withheld so that a smaller suppressed figure cannot be worked out"))
    return text(N_("fewer than %(k)s responses (small-cell rule)"), k=k)


def table_records(table: ResultsTable) -> list[dict[str, Any]]:
    """One dict per row, keyed by column key; None where a figure is empty or withheld."""
    s = table.settings
    records = []
    for row in table.rows:
        i, p = row.index, row.share_satisfied
        suppressed = row.suppressed or i.is_suppressed
        notes = [] if suppressed else [x for x in dict.fromkeys((i.note, p.note)) if x]
        record: dict[str, Any] = {
            "weighting": s.weighting,
            "period": s.period,
            "dimension": row.dimension,
            "unit_code": row.unit_code,
            "unit_name": row.unit_name,
            "group": row.group,
            "n": None if suppressed else row.n,
            "index_estimate": None if suppressed else i.estimate,
            "index_se": None if suppressed else i.se,
            "index_df": None if suppressed else i.df,
            "index_low": None if suppressed else i.low,
            "index_high": None if suppressed else i.high,
            "share_satisfied": None if suppressed else p.estimate,
            "share_se": None if suppressed else p.se,
            "share_df": None if suppressed else p.df,
            "share_low": None if suppressed else p.low,
            "share_high": None if suppressed else p.high,
            "index_reliable": None if suppressed else i.reliable,
            "index_reasons": None if suppressed else " ".join(i.reasons) or None,
            "share_reliable": None if suppressed else p.reliable,
            "share_reasons": None if suppressed else " ".join(p.reasons) or None,
            "reading": None if suppressed else "; ".join(row_notes(i, p)) or None,
            "suppressed": suppressed,
            "suppression_reason": (
                suppression_reason(s.k, i.complementary) if suppressed else None
            ),
            "note": "; ".join(notes) or None,
        }
        records.append({key: record[key] for key, _, _ in columns(table)})
    return records


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return csv_text(str(value))


def results_csv(table: ResultsTable) -> bytes:
    """RFC 4180 CSV in UTF-8 with a BOM: a header of column keys, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    keys = [key for key, _, _ in columns(table)]
    writer.writerow(keys)
    for record in table_records(table):
        writer.writerow([_csv_value(record[key]) for key in keys])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def settings_items(s: ExportSettings) -> list[tuple[str, Any]]:
    """(label, value) pairs of the settings sheet, in reading order."""
    return [
        (text(N_("Campaign")), f"{s.campaign_code} {s.campaign_name}"),
        (text(N_("Indicator")), s.indicator),
        (text(N_("Broken down by")), s.by),
        (text(N_("Period")), s.period),
        (text(N_("Period start")), s.period_start.isoformat()),
        (text(N_("Period end")), s.period_end.isoformat()),
        (text(N_("Weighting")), s.weighting),
        (text(N_("Small-cell threshold k")), s.k),
        (text(N_("Interval method (share satisfied)")), s.method),
        (text(N_("Interval method (index)")), "logit"),
        (text(N_("Confidence level")), s.level),
        (text(N_("Degrees of freedom")), s.df),
        (text(N_("Strata with one respondent")), s.lonely),
        (text(N_("Generated at (UTC)")), s.generated_at.isoformat() + "Z"),
    ]


def results_xlsx(table: ResultsTable) -> bytes:
    """An XLSX workbook: sheet "results" (numbers as numbers) and sheet "settings"."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "results"
    cols = columns(table)
    sheet.append([str(label) for _, label, _ in cols])
    for cell in sheet[1]:
        cell.font = bold
    for record in table_records(table):
        values = []
        for key, _, _ in cols:
            value = record[key]
            if key == "suppressed":
                value = text(N_("yes")) if value else text(N_("no"))
            elif key == "dimension":  # for people: the name (the CSV keeps the code)
                value = published_dimension_label(value)
            elif key == "group" and value:
                value = group_label(value)
            values.append(value)
        sheet.append(values)
    for column_index, (_, _, number_format) in enumerate(cols, start=1):
        if number_format is None:
            continue
        for (cell,) in sheet.iter_rows(
            min_row=2, min_col=column_index, max_col=column_index, max_row=sheet.max_row
        ):
            cell.number_format = number_format
    sheet.freeze_panes = "A2"
    _widths(sheet, [14] * len(cols))

    _settings_sheet(book, table.settings, bold)

    for each in book.worksheets:
        xlsx_text_cells(each)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _settings_sheet(book: Any, s: ExportSettings, bold: Any) -> None:
    """Sheet "settings": every setting, the groups' weights and the instrument versions."""
    settings = book.create_sheet("settings")
    for label, value in settings_items(s):
        settings.append([label, value])
        settings.cell(row=settings.max_row, column=1).font = bold
    settings.append([])
    settings.append(
        [
            text(N_("Group")),
            text(N_("Instrument")),
            text(N_("Policy weight")),
            text(N_("Population N")),
            text(N_("Target")),
        ]
    )
    for cell in settings[settings.max_row]:
        cell.font = bold
    for g in s.groups:
        settings.append([g.group, g.instrument_id, g.policy_weight, g.population, g.target])
    settings.append([])
    settings.append([text(N_("Instrument")), text(N_("Instrument version")), text(N_("Responses"))])
    for cell in settings[settings.max_row]:
        cell.font = bold
    for instrument_id, version, n in s.instrument_versions:
        settings.append([instrument_id, version, n])
    _widths(settings, [34, 24, 16, 16, 12])


def _widths(sheet: Any, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def export_filename(table: ResultsTable, extension: str) -> str:
    s = table.settings
    by = "unit-group" if table.by_group else "unit"
    name = f"results-{s.campaign_code}-{s.period}-{by}"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + f".{extension}"
