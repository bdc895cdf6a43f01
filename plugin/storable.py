"""Text that every database can store: no NUL character and no unpaired surrogate.

PostgreSQL refuses NUL in text columns, and a lone surrogate (``"\\ud800"``, which a JSON
body may carry as an escape) is not valid Unicode at all: no UTF-8 encoder, SQLite's
included, can write it. Input is checked here once, at the edge, so it is refused with a
precise error instead of failing deep inside a write.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain NUL characters"
    return "must not contain unpaired surrogates (not valid Unicode)"


def printable_name(name: str) -> str:
    """A field name fit to be shown back (a name may itself hold the bad character)."""
    return name if problem(name) is None else name.encode("utf-8", "backslashreplace").decode("ascii",
                                                                                         "backslashreplace")


def problems(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, reason) for every unstorable string in a parsed JSON value, keys included.

    Paths name fields the way error responses do: ``title``, ``asins[3]``, ``Server.uuid``.
    """
    if isinstance(value, str):
        reason = problem(value)
        if reason:
            yield path or "body", reason
    elif isinstance(value, dict):
        for key, item in value.items():
            name = printable_name(str(key))
            child = f"{path}.{name}" if path else name
            reason = problem(str(key))
            if reason:
                yield child, f"the field name {reason}"
            yield from problems(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from problems(item, f"{path}[{index}]")
