"""Pages the same for everyone but for a few tokens: rendered once per app and kept.

A QR card's first page and its thank-you differ from one visitor to the next
only by their tokens: the style nonce of the request's Content-Security-Policy,
the CSRF token and the card's submission key. Rendering such a page (its
template, the form's fields) cost more than everything else its request did, so
each is rendered once per app and key, kept with a mark where each token was,
and served with this request's tokens put in.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

from flask import current_app

_KEPT = "survey_same_pages"
# Pages kept per app (a card page is about 6 kB): past this they are all dropped.
_MOST_PAGES = 2048


def _mark(name: str) -> str:
    """Where a token was (a NUL never occurs in our HTML)."""
    return f"\x00{name}\x00"


def same_for_everyone(key: Hashable, render: Callable[[], str], tokens: Mapping[str, str]) -> str:
    """``render()``'s page, kept by ``key``, with this request's ``tokens`` put in.

    ``key`` must name everything the page shows besides the tokens. A token is
    a long random string, so where its value occurs in the page is where the
    token is. Nothing is kept when a token is empty (no nonce: no policy).
    Kept per app, so a test's app (its configuration) never sees another's pages.
    """
    kept: dict[Hashable, str] = current_app.extensions.setdefault(_KEPT, {})
    complete = all(tokens.values())
    page = kept.get(key) if complete else None
    if page is not None:
        for name, value in tokens.items():
            page = page.replace(_mark(name), value)
        return page
    body = render()
    if complete:
        marked = body
        for name, value in tokens.items():
            marked = marked.replace(value, _mark(name))
        if len(kept) >= _MOST_PAGES:
            kept.clear()
        kept[key] = marked
    return body
