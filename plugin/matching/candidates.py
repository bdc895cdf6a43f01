"""The library mirror's candidates for one request, read from the database.

Request creation (``already_available``), a request moved back to an open status, and the
candidates endpoint each ask about one request; they must not build an index over the
whole mirror for it. This module finds the few mirror rows worth deciding on and hands
them to the one matcher.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from plugin.matching.decision import Decision
from plugin.matching.indexes import MatchIndex
from plugin.matching.sides import ItemSide, RequestSide
from plugin.models import AudiobookRequest, LibraryItem

REQUESTS = AudiobookRequest.__table__
ITEMS = LibraryItem.__table__
ITEM_COLUMNS = (ITEMS.c.id, ITEMS.c.title, ITEMS.c.author, ITEMS.c.narrator, ITEMS.c.guid,
                ITEMS.c.external_guids, ITEMS.c.file_paths)


def item_side(row: Any) -> ItemSide:
    """A mirror row (with :data:`ITEM_COLUMNS`) as the matcher sees it."""
    return ItemSide(title=row.title, author=row.author, narrator=row.narrator, guid=row.guid,
                    guids=tuple(row.external_guids or ()), file_paths=tuple(row.file_paths or ()), key=row.id)


def request_side(row: Any) -> RequestSide:
    """A requests row as the matcher sees it."""
    return RequestSide(title=row.title, author=row.author, narrator=row.narrator, asin=row.asin, key=row.id)


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_COMMON = {"the", "and", "of", "a", "an", "in", "to", "for", "on", "book", "novel", "unabridged", "abridged",
           "edition", "volume", "vol", "part", "series"}


def probe_words(title: str, count: int = 3) -> list[str]:
    words = {w for w in _WORD.findall(title.lower()) if len(w) > 2 and w not in _COMMON}
    return sorted(words, key=len, reverse=True)[:count]


def library_candidates(conn: Connection, request: RequestSide, limit: int = 2000) -> list[ItemSide]:
    """Items that could match a request: its ASIN, or a significant title word in common.

    A fuzzy match needs a high title score, so a true match always shares one of the
    request's longest words; this keeps one request from scanning the whole mirror.
    """
    conditions = [ITEMS.c.title.ilike(f"%{w}%") for w in probe_words(request.title)]
    if request.asin:
        conditions.append(ITEMS.c.asin == request.asin.upper())
    if not conditions:
        conditions.append(ITEMS.c.title.ilike(request.title.strip()))
    rows = conn.execute(select(*ITEM_COLUMNS).where(or_(*conditions)).limit(limit)).all()
    return [item_side(r) for r in rows]


def match_one(conn: Connection, request: RequestSide, *, limit: int = 5) -> tuple[Decision | None, list[Decision]]:
    """The best accepted match for one request and its best candidates (near misses included)."""
    index = MatchIndex(library_candidates(conn, request))
    return index.best_match(request), index.candidates(request, limit=limit)
