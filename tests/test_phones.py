"""Phone numbers as people type them, normalised to E.164 or refused with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.contacts.phones import PhoneError, mask_phone, normalise_phone, parse_phone

GOOD = [
    ("13800138000", "+8613800138000", "mobile"),
    ("138 0013 8000", "+8613800138000", "mobile"),
    ("138-0013-8000", "+8613800138000", "mobile"),
    ("+86 138-0013-8000", "+8613800138000", "mobile"),
    ("+8613800138000", "+8613800138000", "mobile"),
    ("0086 13800138000", "+8613800138000", "mobile"),
    ("008613800138000", "+8613800138000", "mobile"),
    ("86 138 0013 8000", "+8613800138000", "mobile"),
    ("(+86) 139.0000.0001", "+8613900000001", "mobile"),
    ("１３８００１３８０００", "+8613800138000", "mobile"),  # full-width digits from an IME
    ("  19912345678\u3000", "+8619912345678", "mobile"),  # ideographic space
    ("010-12345678", "+861012345678", "landline"),
    ("(010) 1234 5678", "+861012345678", "landline"),
    ("+86 10 12345678", "+861012345678", "landline"),
    ("+86 (0)10 1234 5678", "+861012345678", "landline"),
    ("020-87654321", "+862087654321", "landline"),
    ("0755 1234 5678", "+8675512345678", "landline"),
    ("+86 755 12345678", "+8675512345678", "landline"),
    ("0311-8123456", "+863118123456", "landline"),  # 3-digit area code, 7-digit number
]

BAD = [
    ("", "empty"),
    ("   ", "empty"),
    ("12800138000", "not_mobile"),  # 11 digits but 12x is not a mobile prefix
    ("1380013800", "length"),  # 10 digits
    ("138001380001", "length"),  # 12 digits
    ("12345", "length"),  # a service number
    ("+1 650 253 0000", "country"),
    ("+852 9123 4567", "country"),
    ("00852 91234567", "country"),
    ("87654321", "area_code"),  # local number without its area code
    ("010-1234567", "landline"),  # Beijing numbers have 8 digits
    ("0755-123456", "landline"),
    ("010-12345678-801", "landline"),  # extension
    ("138 0013 800O", "characters"),  # letter O for zero
    ("tel:13800138000", "characters"),
    ("13800138000.0", "spreadsheet"),
    ("1.38001E+10", "spreadsheet"),
]


@pytest.mark.parametrize(("raw", "e164", "kind"), GOOD)
def test_good_numbers_normalise(raw: str, e164: str, kind: str) -> None:
    phone = parse_phone(raw)
    assert (phone.e164, phone.kind) == (e164, kind)
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize(("raw", "code"), BAD)
def test_bad_numbers_are_refused_with_a_reason(raw: str, code: str) -> None:
    with pytest.raises(PhoneError) as caught:
        parse_phone(raw)
    assert caught.value.code == code
    message = str(caught.value)
    assert message
    if raw.strip():
        assert raw in message  # the message quotes what was typed, so it can be found


def test_normalised_numbers_are_fixed_points() -> None:
    for _raw, e164, _kind in GOOD:
        assert normalise_phone(e164) == e164


def test_mask_keeps_the_ends_only() -> None:
    assert mask_phone("+8613800138000") == "+86 138****8000"
    assert mask_phone("+861012345678") == "+86 10 ****5678"
    assert mask_phone("+8675512345678") == "+86 755 ****5678"
    assert mask_phone(None) == ""
    assert "0013" not in mask_phone("+8613800138000")


_SEPARATOR = st.sampled_from(["", " ", "-", ".", "  ", " - ", "\u3000", "\u2013"])


@given(
    prefix=st.sampled_from(["", "+86", "+86 ", "0086", "0086 ", "86", "+86-", "(+86) "]),
    second=st.sampled_from("3456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    seps=st.lists(_SEPARATOR, min_size=10, max_size=10),
)
def test_any_mobile_with_any_separators_normalises_the_same(
    prefix: str, second: str, rest: str, seps: list[str]
) -> None:
    digits = "1" + second + rest
    written = prefix + "".join(d + s for d, s in zip(digits, seps + [""], strict=True))
    assert normalise_phone(written) == "+86" + digits
    assert parse_phone(written).is_mobile
