"""Contact lists from spreadsheets: decode, parse and check a CSV file, row by row.

Plain functions without the database, so that every problem a file can have
is found in one pass and reported with the line number the spreadsheet shows
(the header is line 1), before anything is stored. What needs the database
(units, earlier invitations) is checked in survey.setup.invitations.

Excel in mainland China saves "CSV UTF-8" with a byte-order mark, and plain
"CSV" in the ANSI code page, which is GBK (a subset of GB18030). We try
UTF-8 (with or without the mark) first, because GB18030 decodes almost any
bytes without error and would turn a UTF-8 file into nonsense silently.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext

from ..i18n import normalise
from .phones import PhoneError, parse_phone

COLUMNS: tuple[str, ...] = ("name", "phone", "organisation", "language", "unit")
REQUIRED_COLUMNS: tuple[str, ...] = ("name",)
CHANNELS: tuple[str, ...] = ("link", "sms", "paper", "phone")
MAX_NAME = 200
MAX_ORGANISATION = 200

# Header spellings people use in spreadsheets, mapped to our columns: simplified and
# traditional Chinese (an office in Hong Kong, Macao or Taiwan, or a list typed in 繁體),
# and English, matched without regard to case, spaces, "_" or "-" (see header_key); our own
# column names are understood as they are. A bare 单位 / 單位 is left out on purpose: it may
# be the person's workplace or the unit evaluated, and a wrong guess would put a contact's
# answers on another unit (the column is ignored with a warning instead).
HEADER_ALIASES: dict[str, str] = {
    # simplified Chinese
    "姓名": "name",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "电话": "phone",
    "电话号码": "phone",
    "联系电话": "phone",
    "工作单位": "organisation",
    "所在单位": "organisation",
    "语言": "language",
    "被评单位": "unit",
    "单位代码": "unit",
    # traditional Chinese
    "手機": "phone",
    "手機號": "phone",
    "手機號碼": "phone",
    "行動電話": "phone",
    "手提電話": "phone",
    "流動電話": "phone",
    "電話": "phone",
    "電話號碼": "phone",
    "聯繫電話": "phone",
    "聯絡電話": "phone",
    "工作單位": "organisation",
    "所在單位": "organisation",
    "語言": "language",
    "被評單位": "unit",
    "單位代碼": "unit",
    # English (lower case: the header is compared in lower case)
    "full name": "name",
    "contact name": "name",
    "mobile": "phone",
    "mobile phone": "phone",
    "mobile number": "phone",
    "cell": "phone",
    "cell phone": "phone",
    "phone number": "phone",
    "telephone": "phone",
    "telephone number": "phone",
    "tel": "phone",
    "tel.": "phone",
    "contact number": "phone",
    "organization": "organisation",
    "employer": "organisation",
    "work unit": "organisation",
    "workplace": "organisation",
    "preferred language": "language",
    "lang": "language",
    "unit code": "unit",
    "unit evaluated": "unit",
    "evaluated unit": "unit",
}

# Words for a language that a spreadsheet user may type instead of a tag.
LANGUAGE_WORDS: dict[str, str] = {
    "简体": "zh_Hans",
    "简体中文": "zh_Hans",
    "中文": "zh_Hans",
    "繁体": "zh_Hant",
    "繁體": "zh_Hant",
    "繁体中文": "zh_Hant",
    "繁體中文": "zh_Hant",
    "英文": "en",
    "english": "en",
}


class ContactFileError(ValueError):
    """The file as a whole cannot be read (encoding, empty, no header)."""


@dataclass(frozen=True)
class RowError:
    """One problem, at the line a spreadsheet user sees (1 is the header, 0 the whole file)."""

    line: int
    message: str

    def __str__(self) -> str:
        if self.line < 1:  # not a line of the file: the command's arguments or the whole file
            return self.message
        return gettext("line %(line)d: %(message)s", line=self.line, message=self.message)


@dataclass(frozen=True)
class ContactRow:
    """One good row: phone in E.164 (or None), language a catalog code (or None)."""

    line: int
    name: str
    phone: str | None
    phone_is_mobile: bool
    organisation: str | None
    language: str | None
    unit: str | None


@dataclass
class ParsedContacts:
    """The rows that are good, every problem found, and what was ignored.

    The file is usable only without errors; warnings (a column we do not use,
    such as a 备注 of the evaluator's own) do not stop it.
    """

    rows: list[ContactRow]
    errors: list[RowError]
    columns: tuple[str, ...]
    warnings: list[RowError] = field(default_factory=list)
    # Every row read, good or not, for the checks that need the database: a
    # row's unknown unit is reported beside its bad phone number, not later.
    read: list[ContactRow] = field(default_factory=list)


def decode_contacts(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in: "UTF-8 with BOM", "UTF-8" or "GB18030"."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        # Excel's "Unicode text": GB18030 would decode it without error, into nonsense.
        raise ContactFileError(
            gettext("The file is UTF-16 (Excel's Unicode text); save it as CSV UTF-8.")
        )
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as error:
            raise ContactFileError(
                gettext(
                    "The file starts as UTF-8 but has bytes that are not UTF-8 at byte %(pos)d.",
                    pos=error.start + len(codecs.BOM_UTF8),
                )
            ) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise ContactFileError(
            gettext("The file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8.")
        ) from None


def language_of(text: str) -> str | None:
    """A catalog code (zh_Hans, zh_Hant, en) for what someone typed, or None if unknown."""
    word = text.strip()
    return LANGUAGE_WORDS.get(word.lower()) or LANGUAGE_WORDS.get(word) or normalise(word)


def header_key(cell: str) -> str:
    """A header cell as HEADER_ALIASES spells it: " Phone_Number" -> "phone number".

    Case, runs of spaces (full-width ones too), "_" and "-" are how people's
    spreadsheets differ, not what the column means.
    """
    return " ".join(cell.replace("_", " ").replace("-", " ").split()).lower()


def _header(cells: list[str]) -> tuple[tuple[str, ...], list[str], list[str]]:
    """Our column names for the header cells ("" for one ignored), its problems and warnings.

    A column we do not use (备注, 邮箱, a number of the evaluator's own) is
    ignored with a warning rather than refused: spreadsheets carry such columns,
    and refusing them sent people back to delete a column for nothing.
    """
    problems: list[str] = []
    warnings: list[str] = []
    columns: list[str] = []
    for cell in cells:
        key = header_key(cell)
        column = HEADER_ALIASES.get(key, key)
        if column not in COLUMNS:
            if cell.strip():
                warnings.append(
                    gettext(
                        "column %(column)s is not used and was ignored; the columns used are "
                        "%(known)s",
                        column=repr(cell.strip()),
                        known=", ".join(COLUMNS),
                    )
                )
            column = ""
        elif column in columns:
            problems.append(gettext("column %(column)s appears twice", column=column))
            column = ""
        columns.append(column)
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(gettext("missing column %(column)s", column=column))
    return tuple(columns), problems, warnings


def _records(text: str) -> list[tuple[list[str], int]]:
    """The CSV's records, each with how many more lines of text it took than one.

    Python's reader lets a quotation mark that is never closed swallow every
    line after it into one cell; the count of lines a record took is what lets
    the rows say so (see :func:`_unclosed_quote`).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[list[str], int]] = []
    last_line = 0
    for record in reader:
        records.append((record, reader.line_num - last_line - 1))
        last_line = reader.line_num
    try:
        for _record in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as error:
        if "end of data" in str(error) and records:  # the last record's quote never closes
            records[-1] = (records[-1][0], -1)
    return records


def _unclosed_quote(cells: list[str], columns: tuple[str, ...], extra_lines: int) -> str | None:
    """Why a record looks like an unclosed quotation mark, or None.

    A line break is at home in an organisation's cell (Alt+Enter in Excel),
    never in a name, a number, a language or a unit code: there it means a
    quotation mark opened and not closed, and the lines after it ran into the
    row. A quote still open at the end of the file is refused wherever it is.
    """
    if extra_lines < 0 or (
        extra_lines > 0
        and any(
            "\n" in cell or "\r" in cell
            for cell, column in zip(cells, columns, strict=False)
            if column and column != "organisation"
        )
    ):
        return gettext(
            'a quotation mark (") in this row is not closed, so the lines after it ran into '
            "the row; close the quote or remove it"
        )
    return None


def parse_contacts(
    text: str, *, phone_required: bool = False, mobile_only: bool = False
) -> ParsedContacts:
    """Parse and check a contacts CSV; every bad row is reported, none is dropped silently.

    ``phone_required`` (SMS, phone) makes the phone column and every row's
    number mandatory; ``mobile_only`` (SMS) refuses landlines, which cannot
    receive a text message. Blank rows are skipped but still counted, so line
    numbers match the spreadsheet.
    """
    records = _records(text)
    errors: list[RowError] = []
    if not any(cell.strip() for record, _extra in records for cell in record):
        raise ContactFileError(gettext("The file is empty; the first line must be the header."))
    if not any(cell.strip() for cell in records[0][0]):
        errors.append(RowError(1, gettext("the first line is blank; it must be the header")))
        return ParsedContacts([], errors, ())
    columns, header_problems, header_warnings = _header(records[0][0])
    if phone_required and "phone" not in columns:
        header_problems.append(gettext("missing column %(column)s", column="phone"))
    errors.extend(RowError(1, problem) for problem in header_problems)
    warnings = [RowError(1, warning) for warning in header_warnings]

    # The rows are checked even when the header has a problem: every problem of
    # the file is reported at once, so it is put right in one go.
    rows: list[ContactRow] = []
    read: list[ContactRow] = []
    seen_phones: dict[str, list[ContactRow]] = {}
    for index, (cells, extra_lines) in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        unclosed = _unclosed_quote(cells, columns, extra_lines)
        if unclosed is not None:
            errors.append(RowError(index, unclosed))
            continue
        row, problems = _row(index, cells, columns, phone_required, mobile_only)
        if row is not None and row.phone is not None:
            problems.extend(_same_person(row, seen_phones))
        errors.extend(RowError(index, problem) for problem in problems)
        if row is not None:
            read.append(row)
            if not problems:
                rows.append(row)
    if not rows and not errors:
        errors.append(RowError(2, gettext("the file has a header but no contacts")))
    if header_problems:
        rows = []
    return ParsedContacts(rows, errors, columns, warnings, read)


def _same_person(row: ContactRow, seen: dict[str, list[ContactRow]]) -> list[str]:
    """What is wrong with a row whose phone number is on an earlier line too.

    One number is one person: on several lines it asks that person about
    several units (a deputy rating three institutions), one unit a line. The
    lines must then agree on who it is (name, language) and name different
    units; the first line's organisation is kept.
    """
    assert row.phone is not None
    earlier = seen.setdefault(row.phone, [])
    problems: list[str] = []
    if earlier:
        first = earlier[0]
        if row.name != first.name:
            problems.append(
                gettext(
                    "phone number %(phone)s is on line %(first)d with another name (%(name)s); "
                    "one number is one person",
                    phone=row.phone,
                    first=first.line,
                    name=first.name,
                )
            )
        if row.language and first.language and row.language != first.language:
            problems.append(
                gettext(
                    "phone number %(phone)s is on line %(first)d with another language",
                    phone=row.phone,
                    first=first.line,
                )
            )
        same_unit = next((other for other in earlier if other.unit == row.unit), None)
        if same_unit is not None:
            problems.append(
                gettext(
                    "phone number %(phone)s is already on line %(first)d for the same unit",
                    phone=row.phone,
                    first=same_unit.line,
                )
            )
    earlier.append(row)
    return problems


def _row(
    line: int, cells: list[str], columns: tuple[str, ...], phone_required: bool, mobile_only: bool
) -> tuple[ContactRow | None, list[str]]:
    """One row as a contact, or every problem of the row (all of them, not the first).

    Long because each column's check is a few lines of its own, in the order
    of the columns, and a person fixing a file reads them as one list.
    """
    problems: list[str] = []
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        problems.append(
            gettext(
                "the row has %(n)d cells but the header only %(m)d columns",
                n=len(cells),
                m=len(columns),
            )
        )
    values = {
        column: (cells[i].strip() if i < len(cells) else "")
        for i, column in enumerate(columns)
        if column
    }
    name = " ".join(values.get("name", "").split())
    if not name and "name" in columns:  # a missing column is said once, on line 1
        problems.append(gettext("the name is empty"))
    elif len(name) > MAX_NAME:
        problems.append(gettext("the name is longer than %(n)d characters", n=MAX_NAME))
    organisation = values.get("organisation") or None
    if organisation is not None and len(organisation) > MAX_ORGANISATION:
        problems.append(
            gettext("the organisation is longer than %(n)d characters", n=MAX_ORGANISATION)
        )
    phone: str | None = None
    is_mobile = False
    raw_phone = values.get("phone", "")
    if raw_phone:
        try:
            parsed = parse_phone(raw_phone)
        except PhoneError as error:
            problems.append(str(error))
        else:
            phone, is_mobile = parsed.e164, parsed.is_mobile
            if mobile_only and not is_mobile:
                problems.append(
                    gettext("%(phone)s is a landline and cannot receive SMS", phone=raw_phone)
                )
    elif phone_required and "phone" in columns:
        problems.append(gettext("the phone number is empty"))
    language: str | None = None
    if values.get("language"):
        language = language_of(values["language"])
        if language is None:
            problems.append(
                gettext(
                    "unknown language %(language)s; use zh_Hans, zh_Hant or en",
                    language=repr(values["language"]),
                )
            )
    row = ContactRow(
        line=line,
        name=name,
        phone=phone,
        phone_is_mobile=is_mobile,
        organisation=organisation,
        language=language,
        unit=values.get("unit") or None,
    )
    return row, problems
