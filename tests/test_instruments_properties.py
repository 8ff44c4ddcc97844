"""Properties of the instrument loader over generated instruments.

Random valid instruments are built as dicts and written as TOML by the small
writer below (no dependency), then: they load with their pages, questions, order,
scores and indicators intact; one invalid field makes an error naming that question
and field; and any junk value in any field gives an InstrumentError, never a crash.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from survey.instruments import InstrumentError, parse_instrument

FILE = "instruments/generated.toml"
OTHER_LANGUAGES = ("zh_Hant", "en")
TYPES = ("likert5", "choice", "multi", "nps", "number", "text", "phone")
WITH_OPTIONS = ("likert5", "choice", "multi", "nps")
SCORABLE = ("likert5", "choice", "nps")
SCALE_VALUES = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_bad"]
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# --- a tiny TOML writer ------------------------------------------------------------------------


def toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_document(data: dict[str, Any]) -> str:
    """Top-level keys, then one [[pages]] table per page and [[pages.questions]] per question."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if k != "pages"]
    for page in data["pages"]:
        lines.append("\n[[pages]]")
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in page.items() if k != "questions"]
        for question in page["questions"]:
            lines.append("[[pages.questions]]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in question.items()]
    return "\n".join(lines) + "\n"


# --- generated instruments ---------------------------------------------------------------------

slugs = st.builds(
    str.__add__,
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", max_size=8),
)
words = st.text(
    alphabet=st.sampled_from("满意度服务态度效率办事abcXYZ 0123\"\\'#=[]{}\t"),
    min_size=1,
    max_size=12,
).filter(str.strip)
scores = st.integers(0, 100) | st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def texts(draw, languages: tuple[str, ...]) -> dict[str, str]:
    return {lang: draw(words) for lang in languages}


@st.composite
def options(draw, languages, *, count: int | None = None, scored: bool, na: bool) -> list:
    values = draw(st.lists(slugs, min_size=count or 1, max_size=count or 5, unique=True))
    result = []
    for value in values:
        option: dict[str, Any] = {"value": value, "text": draw(texts(languages))}
        if scored:
            option["score"] = draw(scores)
        result.append(option)
    if na:
        extra = draw(slugs.filter(lambda v: v not in values))
        result.append(
            {"value": extra, "na": True, "read_out": False, "text": draw(texts(languages))}
        )
    return result


def option_values(question: dict[str, Any]) -> list[str]:
    if question["type"] == "nps":
        return [str(i) for i in range(11)]
    if "options" in question:
        return [o["value"] for o in question["options"]]
    return SCALE_VALUES


@st.composite
def conditions(draw, targets) -> dict[str, Any]:
    target = draw(targets)
    if target["type"] == "number":
        return {"question": target["id"], "at_least": draw(st.integers(-5, 5))}
    values = option_values(target)
    chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
    return {"question": target["id"], "any_of": chosen}


@st.composite
def questions(draw, languages, qid: str, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    qtype = draw(st.sampled_from(TYPES))
    question: dict[str, Any] = {"id": qid, "type": qtype, "text": draw(texts(languages))}
    scored = qtype in SCORABLE and draw(st.booleans())
    if scored:
        question["indicator"] = "satisfaction." + draw(slugs)
        if draw(st.booleans()):
            question["weight"] = draw(st.floats(0.1, 10).map(lambda x: round(x, 2)))
    if qtype != "phone":
        question["required"] = draw(st.booleans())
    if draw(st.booleans()):
        question["read_aloud"] = draw(texts(languages))
    if qtype == "likert5" and draw(st.booleans()):
        na = draw(st.booleans())
        question["options"] = draw(options(languages, count=5, scored=scored, na=na))
    elif qtype in ("choice", "multi"):
        question["options"] = draw(options(languages, scored=scored, na=draw(st.booleans())))
    elif qtype == "number" and draw(st.booleans()):
        low, high = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2)))
        question["min"], question["max"] = low, high
    elif qtype == "text" and draw(st.booleans()):
        question["max_length"] = draw(st.integers(1, 5000))
    targets = [q for q in earlier if q["type"] in WITH_OPTIONS or q["type"] == "number"]
    if targets and draw(st.booleans()):
        question["show_if"] = draw(conditions(st.sampled_from(targets)))
    return question


@st.composite
def instruments(draw) -> dict[str, Any]:
    others = draw(st.lists(st.sampled_from(OTHER_LANGUAGES), unique=True))
    languages = ("zh_Hans", *others)
    ids = draw(st.lists(slugs, min_size=1, max_size=9, unique=True))
    flat: list[dict[str, Any]] = []
    for qid in ids:
        flat.append(draw(questions(languages, qid, flat)))
    cuts = sorted(draw(st.sets(st.integers(1, len(flat) - 1), max_size=2))) if len(flat) > 1 else []
    bounds = [0, *cuts, len(flat)]
    pages = []
    for number, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
        page: dict[str, Any] = {"id": f"page-{number}"}
        if draw(st.booleans()):
            page["title"] = draw(texts(languages))
        page["questions"] = flat[start:end]
        pages.append(page)
    scale = [
        {"value": value, "score": draw(scores), "text": draw(texts(languages))}
        for value in SCALE_VALUES
    ]
    data: dict[str, Any] = {
        "id": "generated",
        "languages": list(languages),
        "satisfied_at": draw(scores),
        "title": draw(texts(languages)),
    }
    if draw(st.booleans()):
        data["intro"] = draw(texts(languages))
    data["scale"] = {"options": scale}
    data["pages"] = pages
    return data


def all_questions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for page in data["pages"] for q in page["questions"]]


def expected_scores(data: dict[str, Any], question: dict[str, Any]) -> dict[str, float | None]:
    if "indicator" not in question:
        return dict.fromkeys(option_values(question))
    if question["type"] == "nps":
        return {str(i): i * 10.0 for i in range(11)}
    listed = question.get("options", data["scale"]["options"])
    return {o["value"]: (None if o.get("na") else float(o["score"])) for o in listed}


@settings(max_examples=50, deadline=None)
@given(instruments())
def test_generated_instruments_load_intact(data):
    text = toml_document(data)
    inst = parse_instrument(text, file=FILE)
    assert inst.version == hashlib.sha256(text.encode()).hexdigest()
    assert inst.languages == tuple(data["languages"])
    assert [p.id for p in inst.pages] == [p["id"] for p in data["pages"]]
    generated = all_questions(data)
    assert [q.id for q in inst.questions] == [q["id"] for q in generated]
    for page in inst.pages:
        assert all(q.page_id == page.id for q in page.questions)
    indicators = {q["indicator"] for q in generated if "indicator" in q}
    assert inst.indicators == tuple(sorted(indicators))
    for spec in generated:
        question = inst.question(spec["id"])
        assert question.text == spec["text"]
        assert question.weight == spec.get("weight", 1.0)
        assert question.required == spec.get("required", False)
        scores_by_value = {v: question.score_of(v) for v in option_values(spec)}
        assert scores_by_value == expected_scores(data, spec)
    unconditional = [q["id"] for q in generated if "show_if" not in q]
    assert [q.id for q in inst.visible_questions({})] == unconditional


# --- one invalid field is named ----------------------------------------------------------------

MUTATIONS = ("type", "typo", "text", "weight", "indicator", "self", "later", "unknown", "duplicate")


def mutate(data: dict[str, Any], index: int, kind: str) -> tuple[str, str] | None:
    """Break one field of the index-th question; the (question, field) expected, or None."""
    flat = all_questions(data)
    question = flat[index]
    qid = question["id"]
    if kind == "type":
        question["type"] = "likert7"
        return qid, "type"
    if kind == "typo":
        question["requird"] = True
        return qid, "requird"
    if kind == "text":
        del question["text"]["zh_Hans"]
        return qid, "text"
    if kind == "weight":
        question["weight"] = 0
        return qid, "weight"
    if kind == "indicator":
        question["indicator"] = "Satisfaction Overall"
        return qid, "indicator"
    if kind in ("self", "later", "unknown"):
        if kind == "later" and index == len(flat) - 1:
            return None
        target = {"self": qid, "unknown": "no-such-question"}.get(kind) or flat[-1]["id"]
        question["show_if"] = {"question": target, "any_of": ["a"]}
        return qid, "show_if.question"
    if index == 0:
        return None
    question["id"] = flat[0]["id"]
    return flat[0]["id"], "id"


@settings(max_examples=60, deadline=None)
@given(instruments(), st.data())
def test_one_invalid_field_is_named(data, draw):
    count = len(all_questions(data))
    index = draw.draw(st.integers(0, count - 1))
    expected = mutate(data, index, draw.draw(st.sampled_from(MUTATIONS)))
    if expected is None:
        return
    try:
        parse_instrument(toml_document(data), file=FILE)
    except InstrumentError as error:
        assert (error.question, error.field) == expected, str(error)
        assert str(error).startswith(f"{FILE}:{expected[0]}: field '{expected[1]}': ")
    else:
        raise AssertionError(f"no error for {expected}")


# --- junk anywhere gives an InstrumentError, never a crash -------------------------------------

junk_leaves = (
    st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | words
    | slugs
)
junk = st.none() | st.recursive(
    junk_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(slugs | words, inner, max_size=3),
    max_leaves=6,
)


def _set_or_drop(table: dict[str, Any], key: str, value: Any) -> None:
    # TOML has no null: None stands for leaving the key out.
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


@settings(max_examples=100, deadline=None)
@given(instruments(), st.data())
def test_junk_in_any_field_is_an_instrument_error(data, draw):
    tables: list[dict[str, Any]] = [data, *data["pages"], *all_questions(data)]
    tables += [o for q in all_questions(data) for o in q.get("options", [])]
    tables += [q["show_if"] for q in all_questions(data) if "show_if" in q]
    table = draw.draw(st.sampled_from(tables))
    keys = sorted(k for k in table if k not in ("pages", "questions"))
    key = draw.draw(st.sampled_from([*keys, "typo_key"]))
    _set_or_drop(table, key, draw.draw(junk))
    try:
        parse_instrument(toml_document(data), file=FILE)
    except InstrumentError as error:
        assert str(error).startswith(f"{FILE}:")
