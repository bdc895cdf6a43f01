"""What happens to requests when the mirror changes.

``reconcile`` matches open requests against library items with the one matcher and
completes the ones that match; ``on_items_removed`` sends requests whose book left
Plex back to ``downloaded``. Completion is a conditional update (only from an open
status), so a request is transitioned at most once however many paths see the book.
"""
from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from plugin.matcher import Decision, ItemSide, MatchIndex, RequestIndex, RequestSide
from plugin.models import OPEN_STATUSES, AudiobookRequest, LibraryItem, utcnow
from plugin.runtime import Runtime

log = logging.getLogger(__name__)
R = AudiobookRequest.__table__
T = LibraryItem.__table__
# Above this many changed items, one pass over the requests beats one pass per item.
PER_ITEM_LIMIT = 50
ITEM_COLUMNS = (T.c.id, T.c.title, T.c.author, T.c.narrator, T.c.guid, T.c.external_guids, T.c.file_paths)


def item_side(row: Any) -> ItemSide:
    return ItemSide(title=row.title, author=row.author, narrator=row.narrator, guid=row.guid,
                    guids=tuple(row.external_guids or ()), file_paths=tuple(row.file_paths or ()), key=row.id)


def request_side(row: Any) -> RequestSide:
    return RequestSide(title=row.title, author=row.author, narrator=row.narrator, asin=row.asin, key=row.id)


def load_items(conn: Connection, item_ids: Iterable[int] | None = None) -> list[ItemSide]:
    query = select(*ITEM_COLUMNS)
    if item_ids is None:
        return [item_side(r) for r in conn.execute(query)]
    ids = list(item_ids)
    out: list[ItemSide] = []
    for start in range(0, len(ids), 500):
        out.extend(item_side(r) for r in conn.execute(query.where(T.c.id.in_(ids[start:start + 500]))))
    return out


def open_requests(conn: Connection) -> list[Any]:
    return conn.execute(select(R.c.id, R.c.title, R.c.author, R.c.narrator, R.c.asin, R.c.status)
                        .where(R.c.status.in_(OPEN_STATUSES))).all()


class _RequestIndexCache:
    """The open requests' index, kept between real-time events in the worker and rebuilt only
    when the open requests change (one event must not pay for indexing 10,000 requests)."""

    def __init__(self) -> None:
        self._signature: tuple | None = None
        self._index: RequestIndex | None = None
        self._lock = threading.Lock()

    def get(self, requests: Sequence[Any]) -> RequestIndex:
        signature = (len(requests), hash(tuple((r.id, r.title, r.author, r.narrator, r.asin) for r in requests)))
        with self._lock:
            if self._index is None or signature != self._signature:
                self._index = RequestIndex([request_side(r) for r in requests])
                self._signature = signature
            return self._index


REQUEST_INDEX = _RequestIndexCache()


def find_matches(requests: Sequence[Any], items: Sequence[ItemSide]) -> dict[int, Decision]:
    """Best accepted decision per request id, using whichever index side is smaller."""
    best: dict[int, Decision] = {}
    if not requests or not items:
        return best
    if len(items) <= PER_ITEM_LIMIT:
        index = REQUEST_INDEX.get(requests)
        for item in items:
            for decision in index.matches_for_item(item):
                current = best.get(decision.request_key)
                if current is None or decision.score > current.score:
                    best[decision.request_key] = decision
    else:
        index = MatchIndex(items)
        for row in requests:
            decision = index.best_match(request_side(row))
            if decision is not None:
                best[row.id] = decision
    return best


_full_done = threading.Event()


def needs_full_reconcile() -> bool:
    """True until this process has matched every open request against the whole mirror once.

    After that, requests can only newly match items that changed (request creation and
    updates match on their own), so a scan matches just what it changed; a restart (an
    upgrade with a better matcher) matches everything again once.
    """
    return not _full_done.is_set()


def reconcile(runtime: Runtime, *, now: datetime | None = None, item_ids: Iterable[int] | None = None,
              full: bool = False) -> dict[str, Any]:
    """Match every open request against the given items (or, with ``full`` or no items
    given, the whole mirror) and complete the matches."""
    now = now or utcnow()
    if full:
        item_ids = None
    with runtime.engine.connect() as conn:
        requests = open_requests(conn)
        if not requests:
            return {"open": 0, "matched": 0}
        if item_ids is not None:
            item_ids = list(item_ids)
            if not item_ids:
                return {"open": len(requests), "matched": 0}
        items = load_items(conn, item_ids)
    matches = find_matches(requests, items)
    if item_ids is None:
        _full_done.set()
    completed = 0
    if matches:
        by_id = {r.id: r for r in requests}
        with runtime.engine.begin() as conn:
            for request_id, decision in matches.items():
                completed += complete(conn, by_id[request_id], decision, now)
    return {"open": len(requests), "matched": completed}


def complete(conn: Connection, request: Any, decision: Decision, now: datetime) -> int:
    """Mark one request available; a no-op when it already left the open statuses."""
    result = conn.execute(
        update(R).where(R.c.id == request.id, R.c.status.in_(OPEN_STATUSES)).values(
            status="available", library_item_id=decision.item_key, completed_at=now, updated_at=now,
            error_message=None, search_attempts=0, download_attempts=0, import_attempts=0,
            match_reason=decision.reason, match_score=decision.score, match_details=decision.as_dict()))
    if result.rowcount != 1:
        return 0
    library_title = conn.execute(select(T.c.title).where(T.c.id == decision.item_key)).scalar()
    log.info('Match found! "%s" -> "%s" (was %r) [%s, score %.2f]', request.title, library_title,
             request.status, decision.reason, decision.score)
    return 1


def on_items_removed(conn: Connection, item_ids: list[int], now: datetime) -> int:
    """Requests whose book left Plex go from available back to downloaded."""
    moved = 0
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start:start + 500]
        rows = conn.execute(select(R.c.id, R.c.title).where(R.c.library_item_id.in_(chunk),
                                                             R.c.status == "available")).all()
        for row in rows:
            log.info('"%s" left the Plex library: request %s goes back to downloaded', row.title, row.id)
        moved += conn.execute(update(R).where(R.c.library_item_id.in_(chunk), R.c.status == "available")
                              .values(status="downloaded", library_item_id=None, completed_at=None,
                                      updated_at=now)).rowcount or 0
    return moved


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
    conditions = [T.c.title.ilike(f"%{w}%") for w in probe_words(request.title)]
    if request.asin:
        conditions.append(T.c.asin == request.asin.upper())
    if not conditions:
        conditions.append(T.c.title.ilike(request.title.strip()))
    rows = conn.execute(select(*ITEM_COLUMNS).where(or_(*conditions)).limit(limit)).all()
    return [item_side(r) for r in rows]


def match_one(conn: Connection, request: RequestSide, *, limit: int = 5) -> tuple[Decision | None, list[Decision]]:
    """The best accepted match for one request and its best candidates (near misses included)."""
    index = MatchIndex(library_candidates(conn, request))
    return index.best_match(request), index.candidates(request, limit=limit)
