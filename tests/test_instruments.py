"""The instrument loader: shipped files load; every mistake is named by file, question, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.instruments import InstrumentError, load_directory, parse_instrument

ROOT = Path(__file__).resolve().parent.parent
HEAD = """id = "t"
languages = ["zh_Hans", "en"]
[title]
zh_Hans = "测试"
en = "Test"
[scale]
options = [
  { value = "good", score = 100, text = { zh_Hans = "好", en = "Good" } },
  { value = "bad", score = 0, text = { zh_Hans = "差", en = "Bad" } },
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


def _parse(body: str, head: str = HEAD):
    return parse_instrument(head + Q1 + body, file="instruments/t.toml")


def test_shipped_instruments_load():
    instruments = load_directory(ROOT / "instruments")
    assert set(instruments) == {
        "post-service-card",
        "stakeholder-evaluation",
        "staff-survey",
        "phone-post-service",
    }
    card = instruments["post-service-card"]
    assert len(card.questions) <= 6
    assert [o.value for o in card.question("overall").options] == [
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "very_dissatisfied",
    ]
    assert len(instruments["stakeholder-evaluation"].pages) > 1
    assert all(q.read_aloud for q in instruments["phone-post-service"].questions)
    for instrument in instruments.values():
        assert instrument.languages == ("zh_Hans", "zh_Hant", "en")
        assert "satisfaction.overall" in instrument.indicators


@pytest.mark.parametrize(
    ("body", "question", "words"),
    [
        (
            '[[pages.questions]]\nid = "x"\ntype = "likert7"\ntext = { zh_Hans = "x", en = "x" }\n',
            "x",
            "unknown type 'likert7'",
        ),
        (Q1, "overall", "duplicate question id"),
        (
            '[[pages.questions]]\nid = "x"\ntype = "text"\nshow_if = { question = "later", any_of = ["a"] }\n'
            'text = { zh_Hans = "x", en = "x" }\n[[pages.questions]]\nid = "later"\ntype = "text"\n'
            'text = { zh_Hans = "y", en = "y" }\n',
            "x",
            "unknown or comes later",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "text"\nshow_if = { question = "nope", any_of = ["a"] }\n'
            'text = { zh_Hans = "x", en = "x" }\n',
            "x",
            "unknown or comes later",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "text"\nshow_if = { question = "overall", any_of = ["meh"] }\n'
            'text = { zh_Hans = "x", en = "x" }\n',
            "x",
            "'meh' is not an option of 'overall'",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "choice"\nindicator = "satisfaction.x"\n'
            'text = { zh_Hans = "x", en = "x" }\noptions = [ { value = "a", text = { zh_Hans = "a", en = "a" } } ]\n',
            "x",
            "option without score",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "text"\ntext = { zh_Hans = "x" }\n',
            "x",
            "missing translation for 'en'",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "text"\ntext = { zh_Hans = "x", en = "x", fr = "x" }\n',
            "x",
            "language 'fr' is not declared",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "text"\nrequird = true\ntext = { zh_Hans = "x", en = "x" }\n',
            "x",
            "requird",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "likert5"\nindicator = "s.x"\nweight = 0\n'
            'text = { zh_Hans = "x", en = "x" }\n',
            "x",
            "'weight'",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "number"\nmin = 5\nmax = 1\n'
            'text = { zh_Hans = "x", en = "x" }\n',
            "x",
            "greater than max",
        ),
        (
            '[[pages.questions]]\nid = "x"\ntype = "likert5"\nindicator = "Satisfaction Overall"\n'
            'text = { zh_Hans = "x", en = "x" }\n',
            "x",
            "'indicator'",
        ),
    ],
)
def test_mistakes_are_named(body, question, words):
    with pytest.raises(InstrumentError) as caught:
        _parse(body)
    message = str(caught.value)
    assert message.startswith(f"instruments/t.toml:{question}: ")
    assert words in message
    assert caught.value.question == question


def test_file_level_mistakes():
    with pytest.raises(InstrumentError, match=r"^instruments/t.toml:-: field 'id': 'other'"):
        parse_instrument((HEAD + Q1).replace('id = "t"', 'id = "other"'), file="instruments/t.toml")
    with pytest.raises(InstrumentError, match="not valid TOML"):
        parse_instrument(HEAD + "[[pages.questions]\n", file="instruments/t.toml")
    with pytest.raises(InstrumentError, match="unknown language 'fr'"):
        parse_instrument(HEAD.replace('"en"]', '"fr"]'), file="instruments/t.toml")


def test_version_is_the_content_hash():
    a = _parse("")
    assert a.version == _parse("").version
    assert a.version != _parse("# a comment changes the file\n").version
    assert len(a.version) == 64


def test_show_if_and_scores():
    inst = _parse(
        '[[pages.questions]]\nid = "why"\ntype = "multi"\nshow_if = { question = "overall", any_of = ["bad"] }\n'
        'text = { zh_Hans = "为何", en = "Why" }\noptions = [ { value = "slow", text = { zh_Hans = "慢", en = "Slow" } },'
        ' { value = "rude", text = { zh_Hans = "凶", en = "Rude" } } ]\n'
        '[[pages.questions]]\nid = "rec"\ntype = "nps"\nindicator = "satisfaction.recommend"\n'
        'text = { zh_Hans = "推荐", en = "Recommend" }\n'
    )
    assert [q.id for q in inst.visible_questions({"overall": "good"})] == ["overall", "rec"]
    assert [q.id for q in inst.visible_questions({"overall": "bad"})] == ["overall", "why", "rec"]
    assert [q.id for q in inst.visible_questions({})] == ["overall", "rec"]
    overall = inst.question("overall")
    assert overall.score_of("good") == 100 and overall.score_of("bad") == 0
    assert overall.score_of(None) is None and overall.score_of("nope") is None
    assert inst.question("rec").score_of("7") == 70
    assert inst.question("why").score_of(["slow"]) is None


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


ids = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=50, deadline=None)
@given(st.lists(ids, min_size=1, max_size=8, unique=True), st.data())
def test_generated_instruments_round_trip(question_ids, data):
    """Any valid list of questions loads in order with its scores; a bad type is named."""
    body = ""
    scores = {}
    for qid in question_ids:
        score = data.draw(st.integers(0, 100))
        scores[qid] = score
        body += (
            f'[[pages.questions]]\nid = "{qid}"\ntype = "choice"\nindicator = "satisfaction.{qid}"\n'
            f'text = {{ zh_Hans = "问{qid}", en = "Q {qid}" }}\n'
            f'options = [ {{ value = "a", score = {score}, text = {{ zh_Hans = "甲", en = "A" }} }} ]\n'
        )
    inst = parse_instrument(HEAD + body, file="instruments/t.toml")
    assert [q.id for q in inst.questions] == question_ids
    assert {q.id: q.score_of("a") for q in inst.questions} == scores
    broken = data.draw(st.sampled_from(question_ids))
    bad = body.replace(f'id = "{broken}"\ntype = "choice"', f'id = "{broken}"\ntype = "chose"')
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(HEAD + bad, file="instruments/t.toml")
    assert caught.value.question == broken and caught.value.field == "type"
