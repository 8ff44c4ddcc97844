"""Server-drawn SVG charts: sizes follow the figures, suppressed bars show no value."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from survey.evaluate.charts import LABEL_WIDTH, PLOT_WIDTH, Bar, Point, bar_chart, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def _svg(markup) -> ET.Element:  # type: ignore[no-untyped-def]
    return ET.fromstring(str(markup))


def test_bars_are_proportional_and_whiskers_sit_on_the_interval():
    svg = _svg(
        bar_chart([Bar("甲", 80.0, 70.0, 90.0, 12), Bar("乙", 40.0, 30.0, 50.0, 9)], title="t")
    )
    assert svg.get("role") == "img" and svg.find("svg:title", NS).text == "t"
    widths = [float(r.get("width")) for r in svg.iterfind("svg:rect", NS)]
    assert widths == pytest.approx([PLOT_WIDTH * 0.8, PLOT_WIDTH * 0.4])
    first = svg.find("svg:g", NS)
    ends = sorted(float(x) for line in first for x in (line.get("x1"), line.get("x2")))
    assert ends[0] == pytest.approx(LABEL_WIDTH + PLOT_WIDTH * 0.7)
    assert ends[-1] == pytest.approx(LABEL_WIDTH + PLOT_WIDTH * 0.9)


def test_suppressed_bar_has_no_value():
    svg = _svg(bar_chart([Bar("丙", None, n=3)], title="t", suppressed_text="suppressed"))
    assert not list(svg.iterfind("svg:rect", NS))
    assert any(t.text == "suppressed" for t in svg.iterfind("svg:text", NS))


def test_labels_are_escaped():
    svg = _svg(bar_chart([Bar("<script>", 50.0)], title="a & b"))
    assert svg.find("svg:title", NS).text == "a & b"


def test_line_breaks_at_a_suppressed_period_and_marks_changes():
    points = [
        Point("2024", 60, 55, 65),
        Point("2025", 70, 65, 75, marked=True),
        Point("2026", None),
        Point("2027", 72, 68, 76),
    ]
    svg = _svg(line_chart(points, title="trend"))
    lines = list(svg.iterfind("svg:polyline", NS))
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2
    marked = [c for c in svg.iterfind("svg:circle", NS) if "marked" in c.get("class")]
    assert len(marked) == 1
    assert len(list(svg.iterfind("svg:circle", NS))) == 3


@pytest.mark.parametrize(
    "labels",
    [
        ["2024", "2025", "2026"],
        ["2025-10", "2025-11", "2025-12"],
        ["2025年10月", "2025年11月", "2025年12月"],
    ],
)
def test_the_last_periods_label_is_drawn_inside_the_chart(labels):
    svg = _svg(line_chart([Point(label, 70, 65, 75) for label in labels], title="trend"))
    width = float(svg.get("width"))
    texts = [t for t in svg.iterfind("svg:text", NS) if t.text in labels]
    assert [t.text for t in texts] == labels
    last = texts[-1]
    x = float(last.get("x"))
    # Centred on the last point, half the label's width (10 px a CJK character, 6.2 px
    # another, at font size 10: wider than DejaVu or Noto draw them) on each side.
    half = sum(10 if ord(c) > 0x2E80 else 6.2 for c in last.text) / 2
    assert x + half <= width
    assert x == pytest.approx(max(float(c.get("cx")) for c in svg.iterfind("svg:circle", NS)))


def _months(count: int, chinese: bool) -> list[str]:
    months = [(2024 + m // 12, m % 12 + 1) for m in range(count)]
    return [f"{y}年{m}月" if chinese else f"{y}-{m:02d}" for y, m in months]


@pytest.mark.parametrize("count", [3, 12, 24, 36])
@pytest.mark.parametrize("chinese", [False, True])
def test_period_labels_never_run_into_one_another(count, chinese):
    labels = _months(count, chinese)
    svg = _svg(line_chart([Point(label, 70, 65, 75) for label in labels], title="trend"))
    texts = [t for t in svg.iterfind("svg:text", NS) if t.text in labels]
    # The latest period is always named, and the ones drawn are evenly spaced.
    assert texts[-1].text == labels[-1]
    drawn = [labels.index(t.text) for t in texts]
    assert len({b - a for a, b in zip(drawn, drawn[1:], strict=False)}) <= 1
    # Each label (its estimated width, which errs wide) clears the next one drawn.
    for left, right in zip(texts, texts[1:], strict=False):
        half = [sum(10 if ord(c) > 0x2E80 else 6.2 for c in t.text) / 2 for t in (left, right)]
        assert float(left.get("x")) + half[0] < float(right.get("x")) - half[1]
    if count <= 3:
        assert len(texts) == count  # few periods: every one named
