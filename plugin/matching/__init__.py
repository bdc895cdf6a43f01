"""The one matcher: does this audiobook request correspond to this Plex album?

Modules, along the seams the work follows (each imports only those above it):

* :mod:`~plugin.matching.numbers` -- numbers in titles (digits, words, Roman numerals);
* :mod:`~plugin.matching.text` -- case, accents and punctuation folded; canonical words;
* :mod:`~plugin.matching.titles` -- a title parsed into parts: edition markers, series,
  subtitles, omnibus and split-part flags;
* :mod:`~plugin.matching.sketch` -- a title's words without parsing it, for the indexes;
* :mod:`~plugin.matching.people` -- authors and narrators: name forms, several people;
* :mod:`~plugin.matching.sides` -- the request and the library item as the matcher sees
  them, and every ASIN an item carries;
* :mod:`~plugin.matching.decision` -- the one decision function, its guards and the
  :class:`Decision` that explains it;
* :mod:`~plugin.matching.indexes` -- :class:`MatchIndex` and :class:`RequestIndex`;
* :mod:`~plugin.matching.pairs` -- JSON-lines pairs (``plexbooks match-pairs``);
* :mod:`~plugin.matching.candidates` -- the library mirror's candidates for one request.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plugin.matching.decision import ACCEPT_THRESHOLD, Decision, explain
    from plugin.matching.indexes import MatchIndex, RequestIndex
    from plugin.matching.pairs import match_pairs
    from plugin.matching.sides import ItemSide, RequestSide, item_asins

# Where each name of the package lives. Imported when first asked for, not with the package:
# a listing child process needs only the look-up keys (``keys``), not the decision.
_EXPORTS = {
    "ACCEPT_THRESHOLD": "decision", "Decision": "decision", "explain": "decision",
    "MatchIndex": "indexes", "RequestIndex": "indexes", "match_pairs": "pairs",
    "ItemSide": "sides", "RequestSide": "sides", "item_asins": "sides",
}

__all__ = [
    "ACCEPT_THRESHOLD",
    "Decision",
    "ItemSide",
    "MatchIndex",
    "RequestIndex",
    "RequestSide",
    "explain",
    "item_asins",
    "match_pairs",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
