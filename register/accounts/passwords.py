"""The password policy: every path that sets a password (an invitation or reset link, a new
password on /account, a dealer's sign-up, ``create-user``) asks ``password_problem``.

Strength is judged by zxcvbn, which estimates how many guesses a password takes from
dictionaries, keyboard patterns, dates and the account's own e-mail address and name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from ..purchases.messages import N_, Message

MIN_LENGTH = 8
MAX_LENGTH = 200
# zxcvbn's scale: 0 too guessable .. 4 very unguessable; 3 is "safely unguessable" (about
# 10^10 guesses), its authors' advice for protection against an offline attack.
MIN_SCORE = 3
# zxcvbn's matching grows quickly with the length; beyond this a password is long enough
# that its first part decides.
_JUDGED_LENGTH = 100
_WORD_SEPARATORS = re.compile(r"[\s@._+\-]+")

TOO_SHORT = N_("password must be at least 8 characters")
TOO_LONG = N_("password must be at most 200 characters")
TOO_GUESSABLE = N_(
    "This password is too easy to guess. Choose a longer one, for example a few words that "
    "do not belong together, and not your e-mail address or name."
)


def _user_inputs(email: str | None, names: Iterable[str | None]) -> list[str]:
    """The account's own words, which make a password easy to guess for whoever knows them."""
    words: list[str] = []
    for text in (email, *names):
        if text:
            words.append(text.lower())
            words.extend(part for part in _WORD_SEPARATORS.split(text.lower()) if part)
    return words


def password_problem(
    password: str, *, email: str | None = None, names: Iterable[str | None] = ()
) -> Message | None:
    """What is wrong with ``password`` for the account with ``email`` and ``names``, or None
    when the policy accepts it."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return Message(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        return Message(TOO_LONG)
    result = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=_user_inputs(email, names))
    if result["score"] < MIN_SCORE:
        return Message(TOO_GUESSABLE)
    return None
