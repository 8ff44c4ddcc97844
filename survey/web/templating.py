"""Jinja filters and globals every staff page shares: locale-aware numbers, display names."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent

from ..labels import (
    channel_label,
    dimension_label,
    group_label,
    index_bound,
    indicator_label,
    localised,
    scorecard_label,
)
from ..results.reading import figure_notes, row_notes, shown_unreliable


def _decimal(value: float | None, pattern: str = "0.0") -> str:
    return "" if value is None else format_decimal(value, pattern)


def _percent(value: float | None, pattern: str = "0.0%") -> str:
    return "" if value is None else format_percent(value, pattern)


def register_templating(app: Flask) -> None:
    app.add_template_filter(_decimal, "format_decimal")
    app.add_template_filter(_percent, "format_percent")
    app.add_template_filter(format_date, "format_date")
    app.add_template_filter(format_datetime, "format_datetime")
    app.add_template_filter(index_bound, "index_bound")
    app.add_template_global(indicator_label)
    app.add_template_global(group_label)
    app.add_template_global(dimension_label)
    app.add_template_global(channel_label)
    app.add_template_global(scorecard_label)
    app.add_template_filter(localised, "localised")
    app.add_template_global(shown_unreliable)
    app.add_template_global(row_notes)
    app.add_template_global(figure_notes)
