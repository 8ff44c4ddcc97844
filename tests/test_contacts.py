"""Contact CSV files: encodings, headers, and every bad row found with its spreadsheet line."""

from __future__ import annotations

import codecs

import pytest

from survey.contacts.files import (
    ContactFileError,
    RowError,
    decode_contacts,
    language_of,
    parse_contacts,
)

GOOD = (
    "name,phone,organisation,language,unit\n"
    "王建国,138 0013 8000,省人大常委会,zh_Hans,zwfw\n"
    "李秀英,+86 139-0000-0001,,zh-TW,\n"
    "Mary Chen,,University,en,rmyy\n"
)


def test_good_rows_are_parsed_and_normalised() -> None:
    parsed = parse_contacts(GOOD)
    assert parsed.errors == []
    assert [(r.line, r.name, r.phone, r.language, r.unit) for r in parsed.rows] == [
        (2, "王建国", "+8613800138000", "zh_Hans", "zwfw"),
        (3, "李秀英", "+8613900000001", "zh_Hant", None),
        (4, "Mary Chen", None, "en", "rmyy"),
    ]
    assert parsed.rows[0].organisation == "省人大常委会"
    assert parsed.rows[1].organisation is None


def test_chinese_headers_are_understood() -> None:
    parsed = parse_contacts("姓名,手机号,工作单位,语言\n王建国,13800138000,省政协,繁體\n")
    assert parsed.errors == []
    assert parsed.rows[0].phone == "+8613800138000"
    assert parsed.rows[0].organisation == "省政协"
    assert parsed.rows[0].language == "zh_Hant"


# One office's list with the header of each kind of spreadsheet: they must read the same.
SAME_LIST_ROWS = (
    "王建国,138 0013 8000,省人大常委会,简体,zwfw\n李秀英,+86 139-0000-0001,省政协,繁體,rmyy\n"
)
HEADERS = {
    "simplified": "姓名,手机号码,工作单位,语言,单位代码",
    "traditional": "姓名,手機號碼,工作單位,語言,單位代碼",
    "traditional, other words": " 姓名 ,行動電話,所在單位,語言,被評單位",
    "english": "Name,Mobile,Organization,Language,Unit Code",
    "english, other case and spacing": "FULL NAME,Phone_Number,work  unit,preferred-language,UNIT",
}


@pytest.mark.parametrize("header", HEADERS.values(), ids=HEADERS.keys())
def test_traditional_and_english_headers_read_as_the_simplified_ones(header: str) -> None:
    expected = parse_contacts(HEADERS["simplified"] + "\n" + SAME_LIST_ROWS)
    assert expected.errors == [] and expected.warnings == [] and len(expected.rows) == 2
    parsed = parse_contacts(header + "\n" + SAME_LIST_ROWS)
    assert (parsed.errors, parsed.warnings) == ([], [])
    assert (
        parsed.columns == expected.columns == ("name", "phone", "organisation", "language", "unit")
    )
    assert parsed.rows == expected.rows


def test_a_bare_unit_header_is_not_guessed() -> None:
    """单位 / 單位 may be the person's workplace or the unit evaluated: ignored, and said so."""
    for word in ("单位", "單位"):
        parsed = parse_contacts(f"姓名,{word}\n王建国,zwfw\n")
        assert parsed.columns == ("name", "")
        assert [w.message.split(" is not used")[0] for w in parsed.warnings] == [f"column '{word}'"]


def test_line_numbers_count_blank_rows_and_quoted_line_breaks() -> None:
    text = (
        "name,phone,organisation\n"
        '王建国,13800138000,"省人大\n常委会"\n'  # line 2 of the spreadsheet, two lines of text
        "\n"  # line 3, blank: skipped but counted
        ",13900000001,\n"  # line 4: no name
    )
    parsed = parse_contacts(text)
    assert [(e.line, e.message) for e in parsed.errors] == [(4, "the name is empty")]
    assert parsed.rows[0].organisation == "省人大\n常委会"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("phone\n13800138000\n", 1, "missing column name"),
        ("name,name\n王建国,王建国\n", 1, "appears twice"),
        ('name,phone\n"王建国,13800138000\n李秀英,13900000001\n', 2, "quotation mark"),
        ("name,phone\n王建国,12345\n", 2, "12345"),
        ("name,phone\n王建国,13800138000\n李秀英,138-0013-8000\n", 3, "already on line 2"),
        ("name,language\n王建国,fr\n", 2, "unknown language 'fr'"),
        ("name\n王建国,extra\n", 2, "2 cells"),
        ("name\n" + "王" * 201 + "\n", 2, "longer than 200"),
        ("name,phone\n", 2, "no contacts"),
        ("\nname\n王建国\n", 1, "blank"),
    ],
)
def test_bad_files_name_the_line(text: str, line: int, fragment: str) -> None:
    parsed = parse_contacts(text)
    assert parsed.rows == [] or all(r.line != line for r in parsed.rows)
    assert any(e.line == line and fragment in e.message for e in parsed.errors), parsed.errors


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    text = "name,phone\n,13800138000\n王建国,999\n李秀英,13900000001\n张伟,13900000001\n"
    parsed = parse_contacts(text)
    # Line 5 twice: line 4's number under another name, and for the same unit again.
    assert [e.line for e in parsed.errors] == [2, 3, 5, 5]
    assert [r.line for r in parsed.rows] == [4]


def test_sms_needs_a_mobile_number_on_every_row() -> None:
    text = "name,phone\n王建国,\n李秀英,010-12345678\n张伟,13900000001\n"
    assert parse_contacts(text).errors == []
    parsed = parse_contacts(text, phone_required=True, mobile_only=True)
    assert [e.line for e in parsed.errors] == [2, 3]
    assert "landline" in parsed.errors[1].message
    missing = parse_contacts("name\n王建国\n", phone_required=True)
    assert [(e.line, e.message) for e in missing.errors] == [(1, "missing column phone")]


def test_row_error_reads_as_a_spreadsheet_line() -> None:
    assert str(RowError(3, "the name is empty")) == "line 3: the name is empty"
    assert str(RowError(0, "unknown campaign 'x'")) == "unknown campaign 'x'"


def test_decoding_tries_utf8_then_gb18030() -> None:
    text = "name\n王建国\n"
    assert decode_contacts(text.encode("utf-8")) == (text, "UTF-8")
    assert decode_contacts(codecs.BOM_UTF8 + text.encode("utf-8")) == (text, "UTF-8 with BOM")
    assert decode_contacts(text.encode("gb18030")) == (text, "GB18030")
    with pytest.raises(ContactFileError):
        decode_contacts(codecs.BOM_UTF8 + b"\xff\xfe")
    with pytest.raises(ContactFileError):
        decode_contacts(b"name\n\xff\xff\n")
    with pytest.raises(ContactFileError, match="UTF-16"):
        decode_contacts(text.encode("utf-16"))
    with pytest.raises(ContactFileError):
        parse_contacts("\n\n")


def test_language_words() -> None:
    assert language_of("简体") == "zh_Hans"
    assert language_of("zh_Hant") == "zh_Hant"
    assert language_of("zh-CN") == "zh_Hans"
    assert language_of("English") == "en"
    assert language_of("klingon") is None


def test_an_unknown_column_is_ignored_with_a_warning() -> None:
    parsed = parse_contacts("姓名,备注,手机号\n王建国,老代表,13800138000\n")
    assert parsed.errors == []
    assert [(w.line, w.message) for w in parsed.warnings] == [
        (
            1,
            "column '备注' is not used and was ignored; the columns used are "
            "name, phone, organisation, language, unit",
        )
    ]
    assert [(r.name, r.phone, r.organisation) for r in parsed.rows] == [
        ("王建国", "+8613800138000", None)
    ]


def test_a_header_problem_does_not_stop_the_rows_being_checked() -> None:
    parsed = parse_contacts("手机号,备注\n12345\n13800138000\n1390000\n")
    assert [(e.line, e.message.split(" ")[0]) for e in parsed.errors] == [
        (1, "missing"),
        (2, "12345"),
        (4, "1390000"),
    ]
    assert parsed.rows == []  # nothing is usable while the header is wrong


def test_an_unclosed_quote_is_refused_not_swallowed() -> None:
    # A quote that closes only further down: the name would hold three lines.
    text = (
        'name,phone\n"王建国,13800138000\n李秀英,13900000001\n张伟",13900000002\n赵敏,13900000003\n'
    )
    parsed = parse_contacts(text)
    assert [(e.line, "quotation mark" in e.message) for e in parsed.errors] == [(2, True)]
    assert [r.name for r in parsed.rows] == ["赵敏"]
    # A line break inside an organisation's quoted cell is still welcome.
    ok = parse_contacts('name,organisation\n王建国,"省人大\n常委会"\n')
    assert ok.errors == [] and ok.rows[0].organisation == "省人大\n常委会"
    # A quote left open to the end of the file, even in the organisation.
    open_end = parse_contacts('name,organisation\n王建国,"省人大\n李秀英,市政协\n')
    assert [e.line for e in open_end.errors] == [2]
