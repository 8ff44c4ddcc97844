"""Failed sign-ins slow a guesser down without letting a stranger lock an account.

Two counts, in the rate limiter's storage (one count for every worker with Redis):

- failures for one username from one address (SURVEY_LOGIN_FAILURE_LIMIT): past
  it, that address may not try that username until the window ends;
- failures for one username from any address (SURVEY_LOGIN_USERNAME_RATE_LIMIT):
  past it the username is under attack, and every address that has failed for it
  is refused, but an address that has not still gets its try.

So a guesser spread over many addresses gets one guess per address and window,
while the account's owner, from an address that has not failed, still signs in
with the right password. Locking the username outright (as before) let anyone
lock any staff member out with ten wrong passwords.
"""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItem, parse

from ..extensions import limiter

PAIR = "login-failures"
NAME = "login-failures-name"


def _limits() -> tuple[RateLimitItem, RateLimitItem]:
    config = current_app.config
    return (
        parse(str(config["SURVEY_LOGIN_FAILURE_LIMIT"])),
        parse(str(config["SURVEY_LOGIN_USERNAME_RATE_LIMIT"])),
    )


def sign_in_refused(name_key: str, address: str) -> bool:
    """Whether this address may not try this username now (checked before the password)."""
    if not limiter.enabled:
        return False
    pair, name = _limits()
    counts = limiter.limiter
    if not counts.test(pair, PAIR, name_key, address):
        return True
    under_attack = not counts.test(name, NAME, name_key)
    failed_here = counts.get_window_stats(pair, PAIR, name_key, address).remaining < pair.amount
    return under_attack and failed_here


def count_failure(name_key: str, address: str) -> None:
    if not limiter.enabled:
        return
    pair, name = _limits()
    limiter.limiter.hit(pair, PAIR, name_key, address)
    limiter.limiter.hit(name, NAME, name_key)
