"""Messages of the results layer: marked for translation, read in the reader's language.

The results also run from the CLI, exports and benchmarks, where no request
(and so no reader's language) exists; there the English msgid is used.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import gettext


def N_(msgid: str) -> str:
    """Mark a message for extraction (pybabel's default N_ keyword); translated later."""
    return msgid


def text(msgid: str, **params: Any) -> str:
    """The message in the reader's language inside a request, in English elsewhere.

    The results service also runs from the CLI, exports and benchmarks, where no
    request (and so no reader's language) exists; there the English msgid is used.
    """
    if has_request_context():
        return gettext(msgid, **params)
    return msgid % params if params else msgid


class ResultsError(ValueError):
    """A results request that cannot be answered as asked, with a message saying why.

    ``str(error)`` is English (logs, CLI); :meth:`message` is in the reader's
    language when called inside a request.
    """

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)

    def message(self) -> str:
        return text(self.msgid, **self.params)
