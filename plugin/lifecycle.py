"""What happens to requests when the mirror changes.

``reconcile`` matches open requests against library items with the one matcher and
completes the ones that match; ``on_items_removed`` sends requests whose book left
Plex back to ``downloaded``. Completion is a conditional update (only from an open
status), so a request is transitioned at most once however many paths see the book.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from plugin import metrics, outbox
from plugin.matching import Decision, ItemSide, MatchIndex, RequestIndex
from plugin.matching.candidates import ITEM_COLUMNS, item_side, request_side
from plugin.models import OPEN_STATUSES, AudiobookRequest, LibraryItem, table, utcnow
from plugin.runtime import Runtime

log = logging.getLogger(__name__)
R = table(AudiobookRequest)
T = table(LibraryItem)
# Above this many changed items, one pass over the requests beats one pass per item.
PER_ITEM_LIMIT = 50


def load_items(conn: Connection, item_ids: Iterable[int] | None = None) -> list[ItemSide]:
    query = select(*ITEM_COLUMNS)
    if item_ids is None:
        return [item_side(r) for r in conn.execute(query)]
    ids = list(item_ids)
    out: list[ItemSide] = []
    for start in range(0, len(ids), 500):
        out.extend(item_side(r) for r in conn.execute(query.where(T.c.id.in_(ids[start:start + 500]))))
    return out


def open_requests(conn: Connection) -> Sequence[Any]:
    return conn.execute(select(R.c.id, R.c.title, R.c.author, R.c.narrator, R.c.asin, R.c.duration_ms,
                               R.c.language, R.c.status)
                        .where(R.c.status.in_(OPEN_STATUSES))).all()


class _RequestIndexCache:
    """The open requests' index, kept between real-time events in the worker and rebuilt only
    when the open requests change (one event must not pay for indexing 10,000 requests)."""

    def __init__(self) -> None:
        self._signature: tuple | None = None
        self._index: RequestIndex | None = None
        self._lock = threading.Lock()

    def get(self, requests: Sequence[Any]) -> RequestIndex:
        signature = (len(requests), hash(tuple((r.id, r.title, r.author, r.narrator, r.asin, r.duration_ms, r.language)
                                                   for r in requests)))
        with self._lock:
            if self._index is None or signature != self._signature:
                self._index = RequestIndex([request_side(r) for r in requests])
                self._signature = signature
            return self._index


REQUEST_INDEX = _RequestIndexCache()


def find_matches(requests: Sequence[Any], items: Sequence[ItemSide]) -> dict[int, Decision]:
    """Best accepted decision per request id, using whichever index side is smaller."""
    best: dict[Any, Decision] = {}  # keyed by request_side's key: the request id
    if not requests or not items:
        return best
    # One item against the kept requests' index costs about what one request costs against an
    # items' index; so the smaller side is looked up in the other's index.
    if len(items) <= max(PER_ITEM_LIMIT, len(requests)):
        index = REQUEST_INDEX.get(requests)
        for item in items:
            for decision in index.matches_for_item(item):
                current = best.get(decision.request_key)
                if current is None or decision.score > current.score:
                    best[decision.request_key] = decision
    else:
        item_index = MatchIndex(items)
        for row in requests:
            found = item_index.best_match(request_side(row))
            if found is not None:
                best[row.id] = found
    return best


_full_done = threading.Event()


def needs_full_reconcile() -> bool:
    """True until this process has matched every open request against the whole mirror once.

    After that, requests can only newly match items that changed (request creation and
    updates match on their own), so a scan matches just what it changed; a restart (an
    upgrade with a better matcher, a run killed between its commit and its matching)
    matches everything again once.
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
        said: list[tuple[Any, ...]] = []
        with runtime.engine.begin() as conn:
            for request_id, decision in matches.items():
                completed += complete(conn, by_id[request_id], decision, now, said=said)
        for message in said:            # once committed: a run killed before its commit says nothing
            log.info(*message)
    return {"open": len(requests), "matched": completed}


def complete(conn: Connection, request: Any, decision: Decision, now: datetime, *,
             said: list[tuple[Any, ...]] | None = None) -> int:
    """Mark one request available; a no-op when it already left the open statuses. The
    "Match found!" line is logged at once, or appended to ``said`` for the caller to log
    after its commit."""
    result = conn.execute(
        update(R).where(R.c.id == request.id, R.c.status.in_(OPEN_STATUSES)).values(
            status="available", library_item_id=decision.item_key, completed_at=now, updated_at=now,
            error_message=None, search_attempts=0, download_attempts=0, import_attempts=0,
            match_reason=decision.reason, match_score=decision.score, match_details=decision.as_dict()))
    if result.rowcount != 1:
        return 0
    metrics.record_decision(decision.reason)
    outbox.emit_requests(conn, "request.available", [request.id])
    library_title = conn.execute(select(T.c.title).where(T.c.id == decision.item_key)).scalar()
    message = ('Match found! "%s" -> "%s" (was %r) [%s, score %.2f]', request.title, library_title,
               request.status, decision.reason, decision.score)
    if said is None:
        log.info(*message)
    else:
        said.append(message)
    return 1


def on_items_removed(conn: Connection, item_ids: list[int], now: datetime) -> int:
    """Requests whose book left Plex go from available back to downloaded."""
    moved = 0
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start:start + 500]
        rows = conn.execute(select(R.c.id, R.c.title, R.c.library_item_id)
                            .where(R.c.library_item_id.in_(chunk), R.c.status == "available")).all()
        for row in rows:
            log.info('"%s" left the Plex library: request %s goes back to downloaded', row.title, row.id)
        moved += conn.execute(update(R).where(R.c.library_item_id.in_(chunk), R.c.status == "available")
                              .values(status="downloaded", library_item_id=None, completed_at=None,
                                      updated_at=now)).rowcount or 0
        outbox.emit_requests(conn, "request.unavailable", [r.id for r in rows],
                             former_items={r.id: r.library_item_id for r in rows})
    return moved
