"""File uploads larger than the request limit of every other form, for the routes that take them.

MAX_CONTENT_LENGTH stays small for every form (a respondent's card is a few
kilobytes); a route that takes a file, such as the contact list, names the
setting that holds its own limit. The limit must be in place before anything
reads the body, and CSRFProtect reads it in a before_request of its own, so
``apply_upload_limit`` is registered ahead of it in the app factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from flask_babel import gettext
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


def accepts_upload(config_key: str, *, hint: Any = None) -> Callable[[F], F]:
    """The view takes uploads up to ``app.config[config_key]`` bytes.

    ``hint`` (a lazy string) is added to the "file too large" page, to say
    what to do instead.
    """

    def decorate(view: F) -> F:
        view.__dict__["upload_limit_key"] = config_key
        view.__dict__["upload_hint"] = hint
        return view

    return decorate


def _upload_view() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    return view if getattr(view, "upload_limit_key", None) else None


def apply_upload_limit() -> None:
    """Raise the request limit on an upload route, for those allowed to use it.

    Whoever may not use the page (anonymous, or without its role) keeps the
    small limit, so the larger one cannot be used to make the server read
    megabytes for a request it will refuse anyway.
    """
    view = _upload_view()
    if view is None:
        return
    roles = getattr(view, "allowed_roles", None)
    if roles is not None and not (current_user.is_authenticated and current_user.role in roles):
        return
    request.max_content_length = int(current_app.config[view.upload_limit_key])


def too_large_message() -> str | None:
    """The "file too large" text of an upload route (its limit and hint), else None."""
    view = _upload_view()
    if view is None:
        return None
    message = gettext(
        "The file is larger than %(size)s, the most this page takes. Nothing was saved.",
        size=_size(int(current_app.config[view.upload_limit_key])),
    )
    if view.upload_hint:
        message = f"{message} {view.upload_hint}"
    return message


def _size(limit: int) -> str:
    mib = 1024 * 1024
    if limit >= mib:
        return f"{limit / mib:.3g} MiB"
    return f"{limit / 1024:.3g} KiB"
