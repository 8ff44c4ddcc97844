"""Respondent tokens kept out of the app's logs.

A personal link (``/i/<token>``), a receipt code (``/t/<token>``) and a rating link
(``/f/<token>``) are each a key to one person's questionnaire. Flask's
"Exception on /t/<token> [POST]", gunicorn's "Error handling request /i/<token>"
and every access line carried them whole, so anyone reading the logs could answer
in someone's name. The filter keeps the first four characters (enough to tell
two links apart when reading a log, far too few to guess one) and masks the rest,
in the message, its arguments and the traceback.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask

TOKEN_PATH = re.compile(r"(/[itf]/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")
# The loggers whose lines name request paths: the app's, gunicorn's error and access
# logs, and the development server's.
LOGGERS = ("gunicorn.error", "gunicorn.access", "werkzeug")


def mask_tokens(text: str) -> str:
    return TOKEN_PATH.sub(r"\1\2…", text)


def _masked(value: Any) -> Any:
    return mask_tokens(value) if isinstance(value, str) else value


class TokenMaskingFilter(logging.Filter):
    """Rewrites a record so that no respondent token is written; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_tokens(record.exc_text)
        return True


def mask_tokens_in_logs(app: Flask) -> None:
    masking = TokenMaskingFilter()
    for logger in (app.logger, *(logging.getLogger(name) for name in LOGGERS)):
        if not any(isinstance(f, TokenMaskingFilter) for f in logger.filters):
            logger.addFilter(masking)
