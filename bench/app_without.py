"""The app with some of a card's safeguards taken out: what they cost, for bench_submissions only.

Never served to anyone. ``bench_submissions.py --without bursts,sums,csrf,limits``
serves this beside the app and the realistic page, in the same rounds, to show
how much of the distance between them the card's safeguards make (issue #15's
target is 0.7 of a page that has none of them). ``SURVEY_BENCH_WITHOUT`` names
what is taken out, comma-separated:

- ``bursts``: the burst rule's check of each card (survey.responses.bursts), and
  so its count of the source's recent cards;
- ``sums``: the running monthly sums' upsert (the results would then be wrong);
- ``csrf``: the CSRF token's check (the submission key is still checked);
- ``limits``: the rate limit of cards per address.

Everything else is the app as ``wsgi.py`` builds it.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import survey.responses.submit as submit
from survey import create_app

WITHOUT = {part.strip() for part in os.environ.get("SURVEY_BENCH_WITHOUT", "").split(",")}
KNOWN = {"bursts", "sums", "csrf", "limits", ""}
if WITHOUT - KNOWN:
    raise SystemExit(f"SURVEY_BENCH_WITHOUT: unknown {sorted(WITHOUT - KNOWN)}")


def _nothing(*_args: Any, **_kwargs: Any) -> None:
    return None


if "bursts" in WITHOUT:
    submit.check_card = _nothing
if "sums" in WITHOUT:
    submit.note_born = _nothing
    submit.note_card_scores = _nothing
config: dict[str, Any] = {}
if "csrf" in WITHOUT:
    config["WTF_CSRF_ENABLED"] = False
if "limits" in WITHOUT:
    config["RATELIMIT_ENABLED"] = False
app = create_app(config or None)
gc.freeze()
