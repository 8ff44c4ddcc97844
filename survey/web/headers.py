"""Headers every response carries.

Nothing here is meant for search engines: respondent addresses carry personal
tokens (``/i/<token>``, ``/t/<token>``, ``/f/<token>``) and staff pages sit behind
a sign-in, so every response asks not to be indexed (the pages say it too, in a
``<meta name="robots">``, for crawlers that only read the page).
"""

from __future__ import annotations

from flask import Response


def no_index(response: Response) -> Response:
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response
