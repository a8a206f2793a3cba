"""How a name or path given by the user is checked, by one rule everywhere: an empty one is
refused (``'': an empty CONFIG; give …``), an unknown one is offered the closest known one
(``did you mean 'optim.lr'?``). Imports nothing heavy, so the ``handgrad`` command's quick
paths can use it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, allowed: Iterable[str], prefix: str = "") -> str:
    """``"; did you mean 'PREFIXmatch'?"`` for the closest of ``allowed``, or ``""``.

    >>> did_you_mean("lrr", ["lr", "steps"], prefix="optim.")
    "; did you mean 'optim.lr'?"
    >>> did_you_mean("zzz", ["lr"])
    ''
    """
    close = difflib.get_close_matches(word, list(allowed), n=1)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def empty(value: str | None, what: str, give: str) -> str | None:
    """The message refusing ``value`` when it is empty or blank, else None (None: not given).

    >>> empty("", "PATH", "a file to write")
    "'': an empty PATH; give a file to write"
    >>> empty("x.toml", "PATH", "a file to write") is None
    True
    """
    if value is None or value.strip():
        return None
    return f"{value!r}: an empty {what}; give {give}"
