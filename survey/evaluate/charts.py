"""Charts drawn on the server as inline SVG: no JavaScript, no chart library, no other host.

Every chart is an ``<svg role="img">`` with a title, and every page that shows
one puts the same figures in a table beside it, for screen readers and for
people who would rather read numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from unicodedata import east_asian_width

from markupsafe import Markup, escape

BAR_HEIGHT = 22
LABEL_WIDTH = 180
PLOT_WIDTH = 420
AXIS_HEIGHT = 22


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a label, the value and its interval on 0-100, or None when suppressed."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    note: str = ""
    unreliable: bool = False  # drawn pale grey, with a dagger after n


def _x(value: float, domain: tuple[float, float]) -> float:
    lo, hi = domain
    clipped = min(max(value, lo), hi)
    return LABEL_WIDTH + PLOT_WIDTH * (clipped - lo) / (hi - lo)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    domain: tuple[float, float] = (0.0, 100.0),
    suppressed_text: str = "suppressed",
) -> Markup:
    """Horizontal bars with interval whiskers; a suppressed bar shows only its note."""
    height = AXIS_HEIGHT + BAR_HEIGHT * len(bars) + 6
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in range(5):
        value = domain[0] + (domain[1] - domain[0]) * tick / 4
        x = _x(value, domain)
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{AXIS_HEIGHT - 4}" x2="{x:.1f}" '
            f'y2="{height - 6}" stroke="#dde1e8"/>'
            f'<text x="{x:.1f}" y="12" font-size="11" text-anchor="middle" '
            f'fill="#5f6368">{value:g}</text>'
        )
    for i, bar in enumerate(bars):
        y = AXIS_HEIGHT + i * BAR_HEIGHT
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{escape(bar.label[:28])}</text>"
        )
        if bar.value is None:
            parts.append(
                f'<text class="suppressed" x="{LABEL_WIDTH + 4}" y="{y + 15}" font-size="11" '
                f'fill="#5f6368">{escape(suppressed_text)}</text>'
            )
            continue
        x0, x1 = _x(domain[0], domain), _x(bar.value, domain)
        kind, fill = ("bar unreliable", "#c3cad6") if bar.unreliable else ("bar", "#5b7db8")
        parts.append(
            f'<rect class="{kind}" x="{x0:.1f}" y="{y + 4}" width="{x1 - x0:.1f}" '
            f'height="{BAR_HEIGHT - 8}" fill="{fill}"><title>{escape(bar.label)}: '
            f"{bar.value:.1f}</title></rect>"
        )
        if bar.low is not None and bar.high is not None:
            lo, hi, mid = _x(bar.low, domain), _x(bar.high, domain), y + BAR_HEIGHT / 2
            parts.append(
                f'<g class="whisker" stroke="#1b1b1b" stroke-width="1.2">'
                f'<line x1="{lo:.1f}" y1="{mid}" x2="{hi:.1f}" y2="{mid}"/>'
                f'<line x1="{lo:.1f}" y1="{mid - 5}" x2="{lo:.1f}" y2="{mid + 5}"/>'
                f'<line x1="{hi:.1f}" y1="{mid - 5}" x2="{hi:.1f}" y2="{mid + 5}"/></g>'
            )
        if bar.n is not None:
            parts.append(
                f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 8}" y="{y + 15}" font-size="11" '
                f'fill="#5f6368">n={bar.n}{" †" if bar.unreliable else ""}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class Point:
    """One period of a trend: its label, the value and interval, or None when suppressed."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    marked: bool = False  # e.g. a year-on-year change whose interval excludes zero


def line_chart(
    points: Sequence[Point], *, title: str, domain: tuple[float, float] = (0.0, 100.0)
) -> Markup:
    """A trend line with its interval as a band; suppressed periods break the line.

    The last period's label is centred on the right end of the plot: the plot
    stops short of the edge by half that label's width, so it is not cut off.
    Labels are drawn every ``stride`` periods counting back from the last (the
    latest period is always named), the stride wide enough that the widest label
    does not run into the next one drawn.
    """
    width, height, left, top, bottom = 640, 220, 40, 12, 36
    right = max(12.0, label_width(points[-1].label) / 2 + 4) if points else 12.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)
    stride = label_stride([point.label for point in points], step)

    def y(value: float) -> float:
        lo, hi = domain
        return top + plot_h * (1 - (min(max(value, lo), hi) - lo) / (hi - lo))

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in range(5):
        value = domain[0] + (domain[1] - domain[0]) * tick / 4
        parts.append(
            f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right:.1f}" y2="{y(value):.1f}" '
            f'stroke="#dde1e8"/><text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="#5f6368">{value:g}</text>'
        )
    segments: list[list[tuple[float, Point]]] = [[]]
    for i, point in enumerate(points):
        x = left + i * step
        if (len(points) - 1 - i) % stride == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10" '
                f'text-anchor="middle" fill="#5f6368">{escape(point.label)}</text>'
            )
        if point.value is None:
            segments.append([])
        else:
            segments[-1].append((x, point))
    for segment in segments:
        parts.extend(_segment(segment, y))
    parts.append("</svg>")
    return Markup("".join(parts))


def _segment(segment: list[tuple[float, Point]], y: Callable[[float], float]) -> list[str]:
    """One unbroken run of periods: its interval band, its line and its points."""
    parts = []
    banded = [(x, p.low, p.high) for x, p in segment if p.low is not None and p.high is not None]
    if len(banded) > 1:
        upper = " ".join(f"{x:.1f},{y(high):.1f}" for x, _low, high in banded)
        lower = " ".join(f"{x:.1f},{y(low):.1f}" for x, low, _high in reversed(banded))
        parts.append(f'<polygon class="band" points="{upper} {lower}" fill="#c9d6ee"/>')
    if len(segment) > 1:
        line = " ".join(f"{x:.1f},{y(_value(p)):.1f}" for x, p in segment)
        parts.append(
            f'<polyline class="line" points="{line}" fill="none" stroke="#24324a" '
            f'stroke-width="2"/>'
        )
    for x, p in segment:
        fill = "#b3261e" if p.marked else "#24324a"
        radius = 5 if p.marked else 3
        parts.append(
            f'<circle class="point{" marked" if p.marked else ""}" cx="{x:.1f}" '
            f'cy="{y(_value(p)):.1f}" r="{radius}" fill="{fill}"><title>{escape(p.label)}: '
            f"{p.value:.1f}</title></circle>"
        )
    return parts


def label_stride(labels: Sequence[str], step: float, gap: float = 6.0) -> int:
    """Draw every how-many-th label so that, ``step`` apart, the widest clears the next."""
    widest = max((label_width(label) for label in labels), default=0.0)
    return max(1, math.ceil((widest + gap) / step)) if step > 0 else 1


def label_width(text: str, font_size: float = 10.0) -> float:
    """About how wide a label is drawn: a CJK character a full em, others 0.62 of one.

    No font metrics on the server; the estimate errs wide, so a label fits.
    """
    return sum(font_size * (1.0 if east_asian_width(char) in ("W", "F") else 0.62) for char in text)


def _value(point: Point) -> float:
    """A point's value; only points with one are put in a segment."""
    assert point.value is not None
    return point.value
