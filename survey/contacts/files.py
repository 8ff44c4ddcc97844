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
from dataclasses import dataclass

from flask_babel import gettext

from ..i18n import normalise
from .phones import PhoneError, parse_phone

COLUMNS: tuple[str, ...] = ("name", "phone", "organisation", "language", "unit")
REQUIRED_COLUMNS: tuple[str, ...] = ("name",)
CHANNELS: tuple[str, ...] = ("link", "sms", "paper", "phone")
MAX_NAME = 200
MAX_ORGANISATION = 200

# Header spellings people use in Chinese spreadsheets, mapped to our columns.
HEADER_ALIASES: dict[str, str] = {
    "姓名": "name",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "电话": "phone",
    "联系电话": "phone",
    "工作单位": "organisation",
    "所在单位": "organisation",
    "organization": "organisation",
    "语言": "language",
    "被评单位": "unit",
    "单位代码": "unit",
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
    """The rows that are good, and every problem found; the file is usable only without errors."""

    rows: list[ContactRow]
    errors: list[RowError]
    columns: tuple[str, ...]


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


def _header(cells: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Our column names for the header cells, and the problems with the header."""
    problems: list[str] = []
    columns: list[str] = []
    for cell in cells:
        key = cell.strip().lower()
        column = HEADER_ALIASES.get(cell.strip()) or HEADER_ALIASES.get(key) or key
        if column not in COLUMNS:
            problems.append(
                gettext(
                    "unknown column %(column)s; the columns are %(known)s",
                    column=repr(cell.strip()),
                    known=", ".join(COLUMNS),
                )
            )
        elif column in columns:
            problems.append(gettext("column %(column)s appears twice", column=column))
        columns.append(column)
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.append(gettext("missing column %(column)s", column=column))
    return tuple(columns), problems


def parse_contacts(
    text: str, *, phone_required: bool = False, mobile_only: bool = False
) -> ParsedContacts:
    """Parse and check a contacts CSV; every bad row is reported, none is dropped silently.

    ``phone_required`` (SMS, phone) makes the phone column and every row's
    number mandatory; ``mobile_only`` (SMS) refuses landlines, which cannot
    receive a text message. Blank rows are skipped but still counted, so line
    numbers match the spreadsheet.
    """
    records = list(csv.reader(io.StringIO(text, newline="")))
    errors: list[RowError] = []
    if not any(cell.strip() for record in records for cell in record):
        raise ContactFileError(gettext("The file is empty; the first line must be the header."))
    if not any(cell.strip() for cell in records[0]):
        errors.append(RowError(1, gettext("the first line is blank; it must be the header")))
        return ParsedContacts([], errors, ())
    columns, header_problems = _header(records[0])
    if phone_required and "phone" not in columns:
        header_problems.append(gettext("missing column %(column)s", column="phone"))
    errors.extend(RowError(1, problem) for problem in header_problems)
    if header_problems:
        return ParsedContacts([], errors, columns)

    rows: list[ContactRow] = []
    seen_phones: dict[str, int] = {}
    for index, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row, problems = _row(index, cells, columns, phone_required, mobile_only)
        if row is not None and row.phone is not None:
            first = seen_phones.setdefault(row.phone, index)
            if first != index:
                problems.append(
                    gettext(
                        "phone number %(phone)s is already on line %(first)d",
                        phone=row.phone,
                        first=first,
                    )
                )
        errors.extend(RowError(index, problem) for problem in problems)
        if row is not None and not problems:
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(2, gettext("the file has a header but no contacts")))
    return ParsedContacts(rows, errors, columns)


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
        column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(columns)
    }
    name = " ".join(values.get("name", "").split())
    if not name:
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
    elif phone_required:
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
