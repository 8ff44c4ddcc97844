"""An opinion as blocks of text in the reader's language: what the PDF and the Word file draw.

The composed opinion (:mod:`survey.scorecard.opinion_content`) holds numbers and
multilingual titles; this module words it once, so the PDF and the editable
Word document cannot say different things. Call inside a request or
``force_locale``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _

from ..labels import group_label, localised

__all__ = ["Block", "opinion_blocks"]


@dataclass(frozen=True)
class Block:
    """One piece of the document: a title, a heading, a paragraph, a quote or a table."""

    kind: str  # title, h2, p, small, quote, table
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    # A table's column widths, as shares of the line.
    widths: tuple[float, ...] = ()


def _points(p: dict[str, float] | None, signed: bool = False) -> str:
    if p is None:
        return "–"
    pattern = "+0.00;-0.00" if signed else "0.00"
    value = format_decimal(p["points"], pattern)
    if p["high"] > p["low"]:
        low, high = (format_decimal(p[k], pattern) for k in ("low", "high"))
        return f"{value} ({low} – {high})"
    return value


def _grade(grade: dict[str, Any] | None) -> str:
    if grade is None:
        return "–"
    text = localised(grade["title"])
    if grade["uncertain"]:
        odds = [
            f"{localised(g['title'])} {format_percent(g['p'], '0%')}"
            for g in grade["probabilities"]
            if g["p"] >= 0.005
        ]
        text += " (" + " · ".join(odds) + ")"
    return text


def _summary(content: dict[str, Any]) -> Block:
    rank = content["rank"]
    rank_text = (
        _(
            "%(rank)s of %(units)s (%(low)s–%(high)s)",
            rank=rank["rank"],
            units=content["units"],
            low=rank["low"],
            high=rank["high"],
        )
        if rank
        else _("not ranked")
    )
    total = _points(content["total"]) + " / " + format_decimal(content["framework"]["total"], "0")
    return Block(
        "table",
        rows=[
            [_("Total"), total],
            [_("Grade"), _grade(content["grade"])],
            [_("Rank"), rank_text],
            [_("Change from last year"), _points(content["change"], signed=True)],
        ],
        widths=(0.3, 0.7),
    )


def _categories(content: dict[str, Any]) -> Block:
    rows = [[_("Category"), _("Points"), _("Maximum")]]
    for c in content["categories"]:
        got = "–" if c["points"] is None else format_decimal(c["points"], "0.00")
        most = "–" if c["max"] is None else format_decimal(c["max"], "0.#")
        if c["kind"] == "innovation-deduction" and c["points"]:
            got = "−" + got
        rows.append([localised(c["title"]), got, most])
    return Block("table", rows=rows, widths=(0.6, 0.2, 0.2))


def _paragraphs(text: str) -> list[Block]:
    return [Block("p", line) for line in text.splitlines() if line.strip()] or [Block("p", "–")]


def _changes_and_comments(content: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    if content["changes"]:
        blocks.append(Block("h2", _("Clear changes from last year")))
        for c in content["changes"]:
            blocks.append(Block("p", f"{localised(c['title'])}: {_points(c, signed=True)}"))
    if content["comments"]:
        blocks.append(Block("h2", _("Selected comments")))
        for c in content["comments"]:
            source = f"{group_label(c['group'])} · {c['period']}"
            blocks.append(Block("quote", f"“{c['text']}” — {source}"))
    return blocks


def _fixes(content: dict[str, Any]) -> list[Block]:
    if not content["fixes"]:
        return []
    rows = [[_("No."), _("Required fix"), _("Deadline")]]
    rows += [
        [str(f["position"]), f["text"], format_date(dt.date.fromisoformat(f["due"]))]
        for f in content["fixes"]
    ]
    return [
        Block("h2", _("Required fixes")),
        Block(
            "small",
            _(
                "Report on each fix in writing by its deadline; the evaluators will look back "
                "at what was done."
            ),
        ),
        Block("table", rows=rows, widths=(0.1, 0.7, 0.2)),
    ]


def opinion_blocks(content: dict[str, Any], *, issued: dt.datetime | None) -> list[Block]:
    """The whole opinion, in order; ``issued`` None marks it a draft on its first line."""
    unit, cycle = content["unit"], content["cycle"]
    head = _("Issued %(date)s.", date=format_date(issued)) if issued else _("Draft, not issued.")
    return [
        Block("title", _("Evaluation opinion: %(unit)s", unit=unit["name"])),
        Block(
            "p",
            _(
                "%(cycle)s, year %(year)s; framework: %(framework)s. %(state)s",
                cycle=cycle["name"],
                year=content["year"],
                framework=localised(content["framework"]["title"]),
                state=head,
            ),
        ),
        Block("h2", _("Scorecard")),
        _summary(content),
        _categories(content),
        *_changes_and_comments(content),
        Block("h2", _("Problems found")),
        *_paragraphs(content["problems"]),
        Block("h2", _("Suggestions")),
        *_paragraphs(content["suggestions"]),
        *_fixes(content),
        Block(
            "small",
            _(
                "Intervals are %(level)s intervals: they carry the sampling error of the "
                "survey-fed items; the other items are fixed.",
                level="95%",
            ),
        ),
    ]
