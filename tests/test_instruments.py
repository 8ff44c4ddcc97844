"""The instrument loader: shipped files load; every mistake is named by file, question, field."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from survey.instruments import (
    InstrumentError,
    ShowIf,
    check_directory,
    load_directory,
    load_instrument,
    localized,
    parse_instrument,
)

ROOT = Path(__file__).resolve().parent.parent
FILE = "instruments/t.toml"
LEVELS = {
    "very_satisfied": 100.0,
    "satisfied": 75.0,
    "basically_satisfied": 50.0,
    "dissatisfied": 25.0,
    "very_dissatisfied": 0.0,
}
HEAD = """id = "t"
languages = ["zh_Hans", "en"]
satisfied_at = 50
[title]
zh_Hans = "测试"
en = "Test"
[scale]
options = [
  { value = "very_satisfied", score = 100, text = { zh_Hans = "非常满意", en = "Very satisfied" } },
  { value = "satisfied", score = 75, text = { zh_Hans = "满意", en = "Satisfied" } },
  { value = "basically_satisfied", score = 50, text = { zh_Hans = "基本满意", en = "Basically satisfied" } },
  { value = "dissatisfied", score = 25, text = { zh_Hans = "不满意", en = "Dissatisfied" } },
  { value = "very_dissatisfied", score = 0, text = { zh_Hans = "非常不满意", en = "Very dissatisfied" } },
]
[[pages]]
id = "one"
"""
Q1 = """[[pages.questions]]
id = "overall"
type = "likert5"
indicator = "satisfaction.overall"
text = { zh_Hans = "总体", en = "Overall" }
"""
TEXT = 'text = { zh_Hans = "x", en = "x" }\n'
OPT_A = '{ value = "a", score = 1, text = { zh_Hans = "甲", en = "A" } }'


def _q(qid: str, lines: str) -> str:
    """A question table: id, then the given lines, then a valid text unless they give one."""
    text = "" if "\ntext = " in "\n" + lines else TEXT
    return f'[[pages.questions]]\nid = "{qid}"\n{lines}{text}'


def _parse(body: str, head: str = HEAD):
    return parse_instrument(head + Q1 + body, file=FILE)


# --- the shipped files -------------------------------------------------------------------------


def test_shipped_instruments_load():
    instruments = load_directory(ROOT / "instruments")
    assert list(instruments) == [
        "phone-post-service",
        "post-service-card",
        "staff-survey",
        "stakeholder-evaluation",
    ]
    assert check_directory(ROOT / "instruments") == []
    for instrument in instruments.values():
        assert instrument.languages == ("zh_Hans", "zh_Hant", "en")
        assert "satisfaction.overall" in instrument.indicators
        assert instrument.question("overall").required
        path = ROOT / "instruments" / f"{instrument.id}.toml"
        assert instrument.version == hashlib.sha256(path.read_bytes()).hexdigest()


def test_post_service_card():
    card = load_instrument(ROOT / "instruments" / "post-service-card.toml")
    assert len(card.pages) == 1 and len(card.questions) <= 6
    overall = card.question("overall")
    assert {o.value: o.score for o in overall.options} == LEVELS
    assert card.satisfied_at == 50
    assert card.indicators == (
        "satisfaction.attitude",
        "satisfaction.efficiency",
        "satisfaction.one_visit",
        "satisfaction.overall",
    )
    callback = card.question("callback")
    assert callback.type == "phone" and not callback.required and not callback.is_stored_as_answer
    assert callback.indicator is None
    assert not callback.is_visible({"overall": "satisfied"})
    assert callback.is_visible({"overall": "very_dissatisfied"})


def test_phone_script_matches_the_card():
    instruments = load_directory(ROOT / "instruments")
    card, phone = instruments["post-service-card"], instruments["phone-post-service"]
    assert phone.indicators == card.indicators
    assert all(q.read_aloud for q in phone.questions)
    screen = phone.questions[0]
    assert screen.indicator is None and screen.required
    assert [q.id for q in phone.visible_questions({"screen": "no"})] == ["screen"]
    for question in phone.questions:
        for option in question.options:
            assert option.read_out is not option.na, (question.id, option.value)
    for indicator in card.indicators:
        on_card = next(q for q in card.questions if q.indicator == indicator)
        by_phone = next(q for q in phone.questions if q.indicator == indicator)
        scored = {o.value: o.score for o in by_phone.options if not o.na}
        assert scored == {o.value: o.score for o in on_card.options}


def test_only_a_service_users_rating_of_a_service_is_followed_up():
    instruments = load_directory(ROOT / "instruments")
    assert {i.id for i in instruments.values() if i.follow_up} == {
        "post-service-card",
        "phone-post-service",
    }
    assert parse_instrument(
        HEAD.replace("satisfied_at = 50", "follow_up = true") + Q1, file=FILE
    ).follow_up
    assert not _parse("").follow_up  # the default
    # A bad review is the overall question's lowest levels: without one, nothing to follow up.
    other = Q1.replace('"satisfaction.overall"', '"satisfaction.attitude"')
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(HEAD.replace("satisfied_at = 50", "follow_up = true") + other, file=FILE)
    assert (caught.value.question, caught.value.field) == (None, "follow_up")
    assert "satisfaction.overall" in caught.value.problem


def test_stakeholder_and_staff_surveys():
    instruments = load_directory(ROOT / "instruments")
    stakeholder = instruments["stakeholder-evaluation"]
    assert len(stakeholder.pages) >= 3
    assert set(stakeholder.indicators) >= {
        "satisfaction.duty",
        "satisfaction.efficiency",
        "satisfaction.attitude",
        "satisfaction.integrity",
        "satisfaction.coordination",
        "satisfaction.improvement",
        "satisfaction.overall",
    }
    improvement = stakeholder.question("improvement")
    assert improvement.score_of("unknown") is None and improvement.option("unknown").na
    staff = instruments["staff-survey"]
    assert len(staff.pages) >= 2
    assert staff.question("recommend").score_of(7.0) == 70.0


# --- mistakes, each named by file, question and field ------------------------------------------

MISTAKES = [
    (_q("x", 'type = "likert7"\n'), "x", "type", "unknown type 'likert7'"),
    (Q1, "overall", "id", "duplicate question id"),
    (_q("x", 'type = "text"\nrequird = true\n'), "x", "requird", "unknown key"),
    (
        _q("x", 'type = "text"\ntext = { zh_Hans = "x" }\n'),
        "x",
        "text",
        "missing translation for 'en'",
    ),
    (
        _q("x", 'type = "text"\ntext = { zh_Hans = "x", en = " " }\n'),
        "x",
        "text",
        "missing translation for 'en'",
    ),
    (_q("x", 'type = "text"\ntext = "x"\n'), "x", "text", "must be a table of texts"),
    (
        _q("x", 'type = "text"\ntext = { zh_Hans = "x", en = "x", fr = "x" }\n'),
        "x",
        "text",
        "language 'fr' is not declared",
    ),
    (
        _q("x", 'type = "text"\nread_aloud = { zh_Hans = "x" }\n'),
        "x",
        "read_aloud",
        "missing translation for 'en'",
    ),
    (
        _q("x", 'type = "text"\ninterviewer_note = { en = "x" }\n'),
        "x",
        "interviewer_note",
        "missing translation for 'zh_Hans'",
    ),
    (
        _q("x", 'type = "choice"\noptions = [ { value = "a", text = { zh_Hans = "甲" } } ]\n'),
        "x",
        "options[a].text",
        "missing translation for 'en'",
    ),
    (
        _q(
            "x",
            'type = "choice"\nindicator = "satisfaction.x"\noptions = [ { value = "a", text = { zh_Hans = "甲", en = "A" } } ]\n',
        ),
        "x",
        "options[a].score",
        "option without score",
    ),
    (
        _q("x", f'type = "choice"\noptions = [ {OPT_A}, {OPT_A} ]\n'),
        "x",
        "options",
        "duplicate option value 'a'",
    ),
    (
        _q(
            "x",
            'type = "choice"\noptions = [ { value = "A b", text = { zh_Hans = "甲", en = "A" } } ]\n',
        ),
        "x",
        "options[1].value",
        "lowercase slug",
    ),
    (
        _q(
            "x",
            'type = "choice"\noptions = [ { value = "a", scroe = 1, text = { zh_Hans = "甲", en = "A" } } ]\n',
        ),
        "x",
        "options[1].scroe",
        "unknown key",
    ),
    (
        _q(
            "x",
            'type = "choice"\noptions = [ { value = "a", score = 101, text = { zh_Hans = "甲", en = "A" } } ]\n',
        ),
        "x",
        "options[a].score",
        "from 0 to 100",
    ),
    (
        _q(
            "x",
            'type = "choice"\noptions = [ { value = "a", na = "yes", text = { zh_Hans = "甲", en = "A" } } ]\n',
        ),
        "x",
        "options[a].na",
        "true or false",
    ),
    (
        _q(
            "x",
            'type = "choice"\noptions = [ { value = "a", score = 5, na = true, text = { zh_Hans = "甲", en = "A" } } ]\n',
        ),
        "x",
        "options[a].score",
        "left out of scores",
    ),
    (_q("x", 'type = "choice"\n'), "x", "options", "needs options"),
    (_q("x", f'type = "text"\noptions = [ {OPT_A} ]\n'), "x", "options", "takes no options"),
    (
        _q("x", f'type = "likert5"\nindicator = "s.x"\noptions = [ {OPT_A} ]\n'),
        "x",
        "options",
        "5 levels",
    ),
    (_q("x", f'type = "nps"\noptions = [ {OPT_A} ]\n'), "x", "options", "'0' to '10'"),
    (_q("x", 'type = "likert5"\nindicator = "s.x"\nweight = 0\n'), "x", "weight", "greater than 0"),
    (
        _q("x", 'type = "likert5"\nindicator = "s.x"\nweight = -1.5\n'),
        "x",
        "weight",
        "greater than 0",
    ),
    (_q("x", 'type = "likert5"\nweight = 2\n'), "x", "weight", "only a question with an indicator"),
    (
        _q("x", 'type = "likert5"\nindicator = "Satisfaction Overall"\n'),
        "x",
        "indicator",
        "satisfaction.overall",
    ),
    (
        _q("x", 'type = "likert5"\nindicator = "satisfaction..x"\n'),
        "x",
        "indicator",
        "dotted lowercase",
    ),
    (
        _q("x", 'type = "text"\nindicator = "satisfaction.x"\n'),
        "x",
        "indicator",
        "cannot feed an indicator",
    ),
    (
        _q("x", f'type = "multi"\nindicator = "satisfaction.x"\noptions = [ {OPT_A} ]\n'),
        "x",
        "indicator",
        "cannot feed an indicator",
    ),
    (_q("x", 'type = "text"\nrequired = "yes"\n'), "x", "required", "true or false"),
    (_q("x", 'type = "phone"\nrequired = true\n'), "x", "required", "never required"),
    (_q("x", 'type = "number"\nmin = 5\nmax = 1\n'), "x", "min", "greater than max"),
    (_q("x", 'type = "number"\nmax = "ten"\n'), "x", "max", "must be a number"),
    (_q("x", 'type = "text"\nmin = 1\n'), "x", "min", "only for number questions"),
    (_q("x", 'type = "nps"\nmax = 5\n'), "x", "max", "always 0 to 10"),
    (_q("x", 'type = "text"\nmax_length = 0\n'), "x", "max_length", "whole number"),
    (_q("x", 'type = "text"\nmax_length = true\n'), "x", "max_length", "whole number"),
    (_q("x", 'type = "number"\nmax_length = 10\n'), "x", "max_length", "only for text"),
    (
        _q("x", 'type = "text"\nshow_if = { question = "later", any_of = ["a"] }\n')
        + _q("later", 'type = "text"\n'),
        "x",
        "show_if.question",
        "unknown or comes later",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = "nope", any_of = ["a"] }\n'),
        "x",
        "show_if.question",
        "unknown or comes later",
    ),
    (
        _q(
            "x",
            'type = "choice"\nshow_if = { question = "x", any_of = ["a"] }\n'
            f"options = [ {OPT_A} ]\n",
        ),
        "x",
        "show_if.question",
        "cannot depend on itself",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = ["overall"], any_of = ["a"] }\n'),
        "x",
        "show_if.question",
        "earlier question",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = "overall", any_of = ["meh"] }\n'),
        "x",
        "show_if.any_of",
        "'meh' is not an option of 'overall'",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = "overall", any_of = [] }\n'),
        "x",
        "show_if.any_of",
        "non-empty list",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = "overall", anyof = ["satisfied"] }\n'),
        "x",
        "show_if.anyof",
        "unknown key",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = "overall" }\n'),
        "x",
        "show_if",
        "needs any_of",
    ),
    (
        _q("x", 'type = "text"\nshow_if = { question = "overall", at_least = 3 }\n'),
        "x",
        "show_if",
        "need a number or nps",
    ),
    (_q("x", 'type = "text"\nshow_if = "overall"\n'), "x", "show_if", "must be a table"),
    (
        _q("c", 'type = "text"\n')
        + _q("x", 'type = "text"\nshow_if = { question = "c", any_of = ["a"] }\n'),
        "x",
        "show_if.question",
        "cannot depend on the text question",
    ),
    (
        _q("n", 'type = "number"\n')
        + _q("x", 'type = "text"\nshow_if = { question = "n", any_of = ["1"] }\n'),
        "x",
        "show_if.any_of",
        "use at_least/at_most",
    ),
    (
        _q("n", 'type = "number"\n')
        + _q("x", 'type = "text"\nshow_if = { question = "n", at_least = 5, at_most = 1 }\n'),
        "x",
        "show_if.at_least",
        "greater than at_most",
    ),
    (
        _q("n", 'type = "nps"\n')
        + _q("x", 'type = "text"\nshow_if = { question = "n", any_of = ["3"], at_most = 6 }\n'),
        "x",
        "show_if",
        "not both",
    ),
    (
        _q("c", 'type = "text"\ntext = { zh_Hans = "意见（选填）", en = "Comments" }\n'),
        "c",
        "text",
        "pages mark a question that is not required",
    ),
    (
        _q("c", 'type = "text"\ntext = { zh_Hans = "意见", en = "Comments (Optional)" }\n'),
        "c",
        "text",
        "'en' says '(optional)'",
    ),
]


@pytest.mark.parametrize(("body", "question", "field", "words"), MISTAKES)
def test_question_mistakes_are_named(body, question, field, words):
    with pytest.raises(InstrumentError) as caught:
        _parse(body)
    error = caught.value
    assert (error.file, error.question, error.field) == (FILE, question, field)
    assert str(error) == f"{FILE}:{question}: {error.problem}"
    assert error.problem.startswith(f"field '{field}': ")
    assert words in error.problem


FILE_MISTAKES = [
    (HEAD.replace('id = "t"', 'id = "other"'), "id", "'other' must equal the file name 't'"),
    (HEAD.replace('id = "t"', 'id = "T"'), "id", "lowercase slug"),
    (HEAD.replace('id = "t"\n', ""), "id", "lowercase slug"),
    (HEAD.replace('"en"]', '"fr"]'), "languages", "unknown language 'fr'"),
    (HEAD.replace('["zh_Hans", "en"]', '["en"]'), "languages", "zh_Hans is required"),
    (HEAD.replace('["zh_Hans", "en"]', '["zh_Hans", "zh_Hans"]'), "languages", "twice"),
    (HEAD.replace("languages", "langs"), "langs", "unknown key"),
    (HEAD.replace("satisfied_at = 50", "satisfied_at = 800"), "satisfied_at", "0 to 100"),
    (HEAD.replace("satisfied_at = 50", 'follow_up = "yes"'), "follow_up", "true or false"),
    (HEAD.replace('en = "Test"\n', ""), "title", "missing translation for 'en'"),
    (HEAD.replace("[title]", "[intro]"), "title", "missing"),
    (
        HEAD.replace('{ value = "dissatisfied"', '{ value = "satisfied"'),
        "scale.options",
        "duplicate option value 'satisfied'",
    ),
    (
        HEAD.replace(
            '  { value = "dissatisfied", score = 25, text = { zh_Hans = "不满意", en = "Dissatisfied" } },\n',
            "",
        ),
        "scale.options",
        "5 levels besides na, not 4",
    ),
    (HEAD.replace("score = 25, ", ""), "scale.options[dissatisfied].score", "option without score"),
    (HEAD.replace('id = "one"', 'id = "one"\nname = "p"'), "pages[1].name", "unknown key"),
    (HEAD.replace('id = "one"', 'id = "One"'), "pages[1].id", "lowercase slug"),
]


@pytest.mark.parametrize(("head", "field", "words"), FILE_MISTAKES)
def test_file_mistakes_are_named(head, field, words):
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(head + Q1, file=FILE)
    error = caught.value
    assert (error.question, error.field) == (None, field)
    assert str(error).startswith(f"{FILE}:-: field '{field}': ")
    assert words in str(error)


def test_page_mistakes_are_named():
    second_page = '[[pages]]\nid = "one"\n' + _q("y", 'type = "text"\n')
    with pytest.raises(InstrumentError, match=r"field 'pages\[2\]\.id': duplicate page id 'one'"):
        _parse(second_page)
    with pytest.raises(InstrumentError, match=r"field 'pages\[1\]\.questions'"):
        parse_instrument(HEAD, file=FILE)
    with pytest.raises(InstrumentError, match=r"field 'pages\[1\]\.questions\[2\]\.id'"):
        _parse('[[pages.questions]]\nid = "Bad Id"\ntype = "text"\n' + TEXT)


def test_toml_syntax_error_gives_line_and_column():
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(HEAD + "[[pages.questions]\n", file=FILE)
    assert caught.value.question is None and caught.value.field is None
    assert str(caught.value).startswith(f"{FILE}:-: not valid TOML: ")
    assert "line 17" in str(caught.value) and "column" in str(caught.value)


# --- versions ----------------------------------------------------------------------------------


def test_version_is_the_content_hash():
    a = _parse("")
    assert a.version == _parse("").version
    assert a.version != _parse("# a comment changes the file\n").version
    assert a.version == hashlib.sha256((HEAD + Q1).encode()).hexdigest()
    assert a.source == HEAD + Q1
    assert parse_instrument(a.source, file="t.toml").version == a.version


def test_version_hashes_the_bytes_on_disk(tmp_path):
    path = tmp_path / "t.toml"
    raw = (HEAD + Q1).replace("\n", "\r\n").encode()
    path.write_bytes(raw)
    instrument = load_instrument(path)
    assert instrument.version == hashlib.sha256(raw).hexdigest()
    assert instrument.path == str(path)
    assert parse_instrument(instrument.source, file="t.toml").version == instrument.version


def test_unreadable_files_are_named(tmp_path):
    path = tmp_path / "t.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + Q1).encode())
    with pytest.raises(InstrumentError, match="BOM"):
        load_instrument(path)
    path.write_bytes((HEAD + Q1).encode("gb18030"))
    with pytest.raises(InstrumentError, match=r"t\.toml:-: not UTF-8"):
        load_instrument(path)
    with pytest.raises(InstrumentError, match="no such folder"):
        load_directory(tmp_path / "missing")


def test_check_directory_reports_every_bad_file(tmp_path):
    (tmp_path / "t.toml").write_text(HEAD + Q1, encoding="utf-8")
    (tmp_path / "u.toml").write_text(HEAD + Q1, encoding="utf-8")
    (tmp_path / "v.toml").write_text('id = "v"\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not an instrument", encoding="utf-8")
    errors = check_directory(tmp_path)
    assert [(Path(e.file).name, e.field) for e in errors] == [
        ("u.toml", "id"),
        ("v.toml", "languages"),
    ]
    with pytest.raises(InstrumentError, match=r"u\.toml:-: field 'id'"):
        load_directory(tmp_path)
    assert [e.problem for e in check_directory(tmp_path / "missing")] == ["no such folder"]


# --- show-if, visibility and scores ------------------------------------------------------------


def test_show_if_is_met():
    cond = ShowIf("q", ("a", "b"))
    assert cond.is_met({"q": "a"}) and cond.is_met({"q": ["c", "b"]})
    assert not cond.is_met({"q": "c"}) and not cond.is_met({"q": ["c"]})
    assert not cond.is_met({}) and not cond.is_met({"q": None}) and not cond.is_met({"q": ""})
    assert not cond.is_met({"q": []})
    nps = ShowIf("n", ("0", "6"))
    assert nps.is_met({"n": 6.0}) and nps.is_met({"n": "6"}) and not nps.is_met({"n": 6.5})
    low = ShowIf("n", at_most=6)
    assert low.is_met({"n": 6.0}) and low.is_met({"n": "3"}) and low.is_met({"n": 0.0})
    assert not low.is_met({"n": 7.0}) and not low.is_met({"n": "many"}) and not low.is_met({})
    band = ShowIf("n", at_least=2, at_most=4)
    assert band.is_met({"n": 2.0}) and band.is_met({"n": 4.0}) and not band.is_met({"n": 1.9})
    assert not band.is_met({"n": ["3"]}) and not band.is_met({"n": "nan"})


def test_visible_questions_and_scores():
    inst = _parse(
        _q(
            "why",
            'type = "multi"\nshow_if = { question = "overall", any_of = ["dissatisfied", "very_dissatisfied"] }\n'
            'options = [ { value = "slow", text = { zh_Hans = "慢", en = "Slow" } }, { value = "rude", text = { zh_Hans = "凶", en = "Rude" } } ]\n',
        )
        + _q("rec", 'type = "nps"\nindicator = "satisfaction.recommend"\nweight = 0.5\n')
        + _q(
            "detractor",
            'type = "text"\nmax_length = 200\nshow_if = { question = "rec", at_most = 6 }\n',
        )
        + _q("why_slow", 'type = "text"\nshow_if = { question = "why", any_of = ["slow"] }\n')
    )
    ids = [q.id for q in inst.visible_questions({"overall": "satisfied"})]
    assert ids == ["overall", "rec"]
    answers = {"overall": "dissatisfied", "why": ["rude", "slow"], "rec": 3.0}
    assert [q.id for q in inst.visible_questions(answers)] == [
        "overall",
        "why",
        "rec",
        "detractor",
        "why_slow",
    ]
    assert [q.id for q in inst.visible_questions({})] == ["overall", "rec"]
    overall = inst.question("overall")
    assert {v: overall.score_of(v) for v in LEVELS} == LEVELS
    assert overall.score_of(None) is None and overall.score_of("nope") is None
    assert overall.score_of(["satisfied"]) is None
    rec = inst.question("rec")
    assert rec.score_of("7") == 70 and rec.score_of(7.0) == 70 and rec.score_of(10) == 100
    assert rec.weight == 0.5 and (rec.min, rec.max) == (0, 10)
    assert inst.question("why").score_of(["slow"]) is None and not inst.question("why").is_scored
    assert inst.question("detractor").max_length == 200
    assert inst.question("why_slow").max_length == 1000
    assert inst.indicators == ("satisfaction.overall", "satisfaction.recommend")
    assert inst.question("rec").page_id == "one" and inst.page("one").questions[0] is overall
    with pytest.raises(KeyError):
        inst.question("nope")


def test_na_option_and_own_likert_options():
    inst = _parse(
        _q(
            "duty",
            'type = "likert5"\nindicator = "satisfaction.duty"\noptions = [\n'
            + "".join(
                f'  {{ value = "{v}", score = {s}, text = {{ zh_Hans = "{v}", en = "{v}" }} }},\n'
                for v, s in LEVELS.items()
            )
            + '  { value = "unknown", na = true, read_out = false, text = { zh_Hans = "不了解", en = "Not familiar" } },\n]\n',
        )
    )
    duty = inst.question("duty")
    assert duty.score_of("unknown") is None and duty.score_of("satisfied") == 75
    unknown = duty.option("unknown")
    assert unknown is not None and unknown.na and not unknown.read_out and unknown.score is None


def test_texts_and_languages():
    inst = _parse("")
    assert inst.default_language == "zh_Hans"
    assert inst.text("en") == "Test" and inst.text("zh_Hant") == "测试"
    assert localized(inst.title, "fr", "en") == "Test"
    assert localized(None, "en") == ""
    assert inst.satisfied_at == 50.0
    no_threshold = parse_instrument((HEAD + Q1).replace("satisfied_at = 50\n", ""), file=FILE)
    assert no_threshold.satisfied_at == 80.0


# --- the CLI (needs the app: conftest's runner) ------------------------------------------------


def test_check_command(runner, tmp_path):
    result = runner.invoke(args=["survey", "instruments", "check"])
    assert result.exit_code == 0, result.output
    broken = tmp_path / "instruments"
    shutil.copytree(ROOT / "instruments", broken)
    path = broken / "post-service-card.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('type = "choice"', 'type = "chioce"'),
        encoding="utf-8",
    )
    result = runner.invoke(args=["survey", "instruments", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{path}:one_visit: field 'type': unknown type 'chioce'" in result.output
