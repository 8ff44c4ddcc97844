"""What a question's wording must leave to the pages that show it."""

from __future__ import annotations

# The card and the operator's screen mark a question that is not required as
# optional themselves; a marker in the text showed twice ("（选填） (选填)").
OPTIONAL_MARKERS = ("选填", "選填", "可不填", "(optional)", "（optional）")


def optional_marker(lang: str, text: str) -> str | None:
    """Why a question's text in ``lang`` must not say it is optional, or None."""
    for marker in OPTIONAL_MARKERS:
        if marker in text.lower():
            return (
                f"'{lang}' says {marker!r}: leave it out, pages mark a question that is "
                "not required themselves"
            )
    return None
