"""The look-up keys of a library title, by the matcher's own normalization (the rule is in
:mod:`plugin.matching.candidates`). Its own module, free of the database layers, so a
listing child process can derive them cheaply while the parent writes."""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from plugin.asin import carried_asins
from plugin.matching.sketch import sketch_fields
from plugin.matching.text import spelling_key

KEY_LENGTH = 64
ASIN_PREFIX = "asin:"


@lru_cache(maxsize=262_144)
def word_key(word: str) -> str:
    """The key a title word is stored and looked up under (the indexes' spelling key).
    Cached: a first scan keys every title of the library, and the words repeat."""
    return spelling_key(word)[:KEY_LENGTH]


def asin_key(asin: str) -> str:
    return ASIN_PREFIX + asin


def asin_keys(asin: str | None, guid: str | None, guids: Sequence[str] | None,
              paths: Sequence[str] | None) -> set[str]:
    """The ``asin:`` keys of a row as stored: every ASIN the matcher reads from it
    (:func:`~plugin.asin.carried_asins`, as ``item_asins`` reads them)."""
    if asin or paths or guids or (guid and not guid.startswith("plex://")):
        return {asin_key(a) for a in carried_asins(asin, guid, guids, paths)}
    return set()


def title_keys(title: str) -> set[str]:
    """The keys a library title is filed under: an anchor per sure part, unsure words whole."""
    _words, parts, loose = sketch_fields(title)
    keys: set[str] = set()
    for part in parts:
        # The part's longest word, which is mostly the rarest; of equally long ones the last in
        # spelling order (max keeps the first of the longest, and they come sorted backwards).
        keys.add(word_key(part[0] if len(part) == 1 else max(sorted(part, reverse=True), key=len)))
    for bag in loose:
        keys.update(map(word_key, bag))
    return keys
