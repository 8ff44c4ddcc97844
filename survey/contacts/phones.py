"""Phone numbers of mainland China, normalised to E.164 (``+8613800138000``).

Contact lists arrive from spreadsheets typed by hand: spaces, hyphens, dots,
brackets, full-width digits, ``+86``/``0086``/``86`` prefixes, a trunk ``0``
before the area code. One canonical form lets us find the same person twice
(a duplicate in a file, an earlier invitation) and hand a number to the SMS
gateway as it expects it.

Written without the ``phonenumbers`` package on purpose: we only ever accept
mainland numbers, whose plan is small and stable (mobiles ``1[3-9]`` + 9
digits; landlines a 2- or 3-digit area code + a 7- or 8-digit local number),
and a narrow, explicit rule gives clearer reasons for rejecting a number than a
general library's "invalid".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext

COUNTRY_CODE = "86"

# Characters people put between digits; removed before anything else is looked at.
_SEPARATORS = re.compile(r"[\s\-.()/\u00a0\u2010-\u2015\u3000]+")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 10 (Beijing) and 20-29 are two digits with 8-digit local numbers;
# the others are three digits starting 3-9 with 7- or 8-digit local numbers.
_LANDLINE_2 = re.compile(r"^(10|2\d)([1-9]\d{7})$")
_LANDLINE_3 = re.compile(r"^([3-9]\d\d)([1-9]\d{6,7})$")
_EXCEL_FLOAT = re.compile(r"^\d+\.0+$|^\d(\.\d+)?[eE]\+?\d+$")


class PhoneError(ValueError):
    """A number we cannot use; ``code`` for programs, ``str(error)`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Phone:
    """A normalised number: ``e164`` as stored, ``kind`` "mobile" or "landline"."""

    e164: str
    kind: str
    area_code: str | None = None

    @property
    def is_mobile(self) -> bool:
        return self.kind == "mobile"


def parse_phone(raw: str) -> Phone:
    """Parse a mainland-China number written in any of the usual ways; raise PhoneError if not.

    Accepted: ``13800138000``, ``138 0013 8000``, ``+86 138-0013-8000``,
    ``0086 13800138000``, ``8613800138000``, ``010-12345678``,
    ``0755 1234 5678``, ``+86 (0)10 1234 5678``, ``+86 755 12345678``.

    Long because every way of writing a number is one branch of one sequence
    (clean, country code, trunk prefix, mobile or landline); split up, the
    order in which they are tried would no longer be read in one place.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise PhoneError("empty", gettext("The phone number is empty."))
    if _EXCEL_FLOAT.match(text):
        raise PhoneError(
            "spreadsheet",
            gettext(
                "%(raw)s looks like a number the spreadsheet turned into a decimal; "
                "format the phone column as text and type the number again.",
                raw=raw,
            ),
        )
    compact = _SEPARATORS.sub("", text)
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits.isdigit() or not digits.isascii():
        raise PhoneError(
            "characters",
            gettext(
                "%(raw)s contains characters other than digits, spaces, hyphens and brackets.",
                raw=raw,
            ),
        )
    national = _national_part(digits, plus=plus, raw=raw)
    if _MOBILE.match(national):
        return Phone(e164=f"+{COUNTRY_CODE}{national}", kind="mobile")
    if national.startswith("1"):
        if len(national) == 11:
            raise PhoneError(
                "not_mobile",
                gettext(
                    "%(raw)s is not a mainland mobile number (11 digits starting 13 to 19).",
                    raw=raw,
                ),
            )
        if not national.startswith("10"):
            raise PhoneError(
                "length",
                gettext(
                    "%(raw)s has %(n)d digits; a mobile number has 11.", raw=raw, n=len(national)
                ),
            )
    for pattern in (_LANDLINE_2, _LANDLINE_3):
        found = pattern.match(national)
        if found:
            return Phone(
                e164=f"+{COUNTRY_CODE}{national}", kind="landline", area_code=found.group(1)
            )
    raise PhoneError(
        "landline",
        gettext(
            "%(raw)s is neither a mobile number (11 digits starting 13 to 19) nor a landline "
            "with its area code (such as 010-12345678 or 0755-12345678).",
            raw=raw,
        ),
    )


def _national_part(digits: str, *, plus: bool, raw: str) -> str:
    """The national significant number: country code and trunk 0 removed."""
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        if not international.startswith(COUNTRY_CODE):
            raise PhoneError(
                "country",
                gettext(
                    "%(raw)s is not a mainland China number (+86); only those can be used.",
                    raw=raw,
                ),
            )
        national = international[len(COUNTRY_CODE) :]
        # "+86 (0)10 ..." and "+86 010 ...": a trunk 0 written after the country code.
        return national[1:] if national.startswith("0") else national
    if digits.startswith(COUNTRY_CODE) and len(digits) == 13 and _MOBILE.match(digits[2:]):
        return digits[2:]  # "8613800138000": a mobile with the country code, no plus
    if digits.startswith("0"):
        return digits[1:]  # domestic landline with its trunk 0: "010...", "0755..."
    if not digits.startswith("1"):
        raise PhoneError(
            "area_code",
            gettext(
                "%(raw)s has no area code; write a landline as 010-12345678 or 0755-12345678.",
                raw=raw,
            ),
        )
    return digits


def normalise_phone(raw: str) -> str:
    """The E.164 form of a mainland-China number (``+8613800138000``); raises PhoneError."""
    return parse_phone(raw).e164


def mask_phone(e164: str | None) -> str:
    """A number shown on screen without giving it away: ``+86 138****8000``, ``+86 10 ****5678``.

    Printed lists of links end up in e-mails and on desks; the middle digits
    are enough to identify nobody and the ends are enough to check a row.
    """
    if not e164:
        return ""
    if not e164.startswith("+" + COUNTRY_CODE):
        return e164[:3] + "****" + e164[-4:]
    national = e164[1 + len(COUNTRY_CODE) :]
    if _MOBILE.match(national):
        return f"+{COUNTRY_CODE} {national[:3]}****{national[-4:]}"
    for pattern in (_LANDLINE_2, _LANDLINE_3):
        found = pattern.match(national)
        if found:
            return f"+{COUNTRY_CODE} {found.group(1)} ****{national[-4:]}"
    return f"+{COUNTRY_CODE} ****{national[-4:]}"
