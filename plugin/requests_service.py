"""Creating, changing and deleting requests: the rules, apart from HTTP.

Creation refuses what would be wasted work — a book already in the library, one the
pipeline is already fetching, a repeat by the same user — and says which record conflicts.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.engine import Connection

from plugin import lifecycle, outbox, state
from plugin.matching import ItemSide, RequestSide, explain
from plugin.matching.candidates import best_library_match, library_near_misses, request_side
from plugin.mirror import remove_rows
from plugin.models import (
    OPEN_STATUSES,
    PROCESSING_STATUSES,
    AudiobookRequest,
    LibraryItem,
    RejectedCandidate,
    table,
    utcnow,
)
from plugin.plex import PlexError
from plugin.runtime import Runtime
from plugin.status import STATE_DELETION_REFUSED

log = logging.getLogger(__name__)
R = table(AudiobookRequest)
T = table(LibraryItem)
REJECTED = table(RejectedCandidate)


@dataclass
class Conflict(Exception):
    reason: str                      # already_available, being_processed, duplicate_request
    message: str
    record_type: str                 # library_item or request
    record_id: int
    match: dict[str, Any] | None = None


def _same_book(a: RequestSide, other: Any) -> bool:
    if a.asin and other.asin:
        return a.asin.upper() == other.asin.upper()
    return explain(a, ItemSide(title=other.title, author=other.author, narrator=other.narrator,
                               asin=other.asin)).match


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_COMMON = {"the", "and", "of", "a", "an", "in", "to", "for", "on", "book", "novel", "unabridged", "abridged",
           "edition", "volume", "vol", "part", "series"}


def _probe_words(title: str, count: int = 3) -> list[str]:
    """A pre-filter for the requests table only (other open requests of the same book): the
    library's candidates come from the matcher's own keys (plugin.matching.candidates)."""
    words = {w for w in _WORD.findall(title.lower()) if len(w) > 2 and w not in _COMMON}
    return sorted(words, key=len, reverse=True)[:count]


def check_conflicts(conn: Connection, request: RequestSide, user: str | None) -> None:
    """Raise Conflict when the new request should not be created."""
    best = best_library_match(conn, request)
    if best is not None:
        raise Conflict("already_available", "this book is already in the Plex library", "library_item",
                       cast(int, best.item_key), best.as_dict())  # a library item's key is its id
    probes: list[ColumnElement[bool]] = [R.c.title.ilike(f"%{w}%") for w in _probe_words(request.title)]
    if request.asin:
        probes.append(R.c.asin == request.asin)
    if not probes:
        return
    others = conn.execute(select(R.c.id, R.c.user, R.c.title, R.c.author, R.c.narrator, R.c.asin, R.c.status)
                          .where(or_(*probes), R.c.status.in_(OPEN_STATUSES)).limit(500)).all()
    for other in others:
        if user is not None and other.user == user and _same_book(request, other):
            raise Conflict("duplicate_request", "you have already requested this book", "request", other.id)
    for other in others:
        if other.status in PROCESSING_STATUSES and _same_book(request, other):
            raise Conflict("being_processed", "this book is already being fetched for another request",
                           "request", other.id)


def create(runtime: Runtime, fields: dict[str, Any]) -> int:
    side = RequestSide(title=fields["title"], author=fields.get("author"), narrator=fields.get("narrator"),
                       asin=fields.get("asin"), duration_ms=fields.get("duration_ms"), language=fields.get("language"))
    now = utcnow()
    with runtime.engine.begin() as conn:
        if fields.get("status", "pending") in OPEN_STATUSES:
            check_conflicts(conn, side, fields.get("user"))
        values = {"title": side.title, "author": side.author, "narrator": side.narrator, "asin": side.asin,
                  "duration_ms": side.duration_ms, "language": side.language,
                  "user": fields.get("user"), "status": fields.get("status", "pending"), "search_attempts": 0,
                  "download_attempts": 0, "import_attempts": 0, "created_at": now, "updated_at": now}
        if values["status"] == "available":
            values["completed_at"] = now
        inserted = conn.execute(R.insert().values(**values)).inserted_primary_key
        assert inserted is not None
        request_id = inserted[0]
        outbox.emit_requests(conn, "request.created", [request_id])
        return request_id


def update(runtime: Runtime, request_id: int, changes: dict[str, Any]) -> bool:
    """Apply pipeline changes; a request moved to an open status is matched at once."""
    now = utcnow()
    found: list[lifecycle.Found] = []
    with runtime.engine.begin() as conn:
        row = conn.execute(select(R).where(R.c.id == request_id)).first()
        if row is None:
            return False
        values = dict(changes, updated_at=now)
        if changes.get("status") == "available" and row.status != "available":
            values["completed_at"] = now
        elif "status" in changes and changes["status"] != "available":
            values.update(completed_at=None, library_item_id=None, match_reason=None, match_score=None,
                          match_details=None)
        conn.execute(R.update().where(R.c.id == request_id).values(**values))
        if changes.get("status") == "available" and row.status != "available":
            outbox.emit_requests(conn, "request.available", [request_id])
        status = changes.get("status", row.status)
        if status in OPEN_STATUSES:
            side = request_side(conn.execute(select(R).where(R.c.id == request_id)).first())
            best = best_library_match(conn, side)
            if best is not None:
                current = conn.execute(select(R.c.id, R.c.title, R.c.status).where(R.c.id == request_id)).first()
                lifecycle.complete(conn, current, best, now, found)
    lifecycle.announce(found)
    return True


def delete(runtime: Runtime, request_id: int, *, delete_from_plex: bool) -> dict[str, Any] | None:
    """Delete a request; optionally the Plex item too. Plex failures never block the deletion."""
    with runtime.engine.connect() as conn:
        row = conn.execute(select(R.c.id, R.c.library_item_id, T.c.rating_key)
                           .select_from(R.outerjoin(T, T.c.id == R.c.library_item_id))
                           .where(R.c.id == request_id)).first()
    if row is None:
        return None
    plex: dict[str, Any] = {"requested": delete_from_plex, "deleted": False}
    if delete_from_plex:
        config = runtime.config()
        if not config.allow_plex_deletion:
            plex["skipped"] = "deleting from Plex is turned off (allow_plex_deletion)"
        elif row.rating_key is None:
            plex["skipped"] = "the request is not linked to a library item"
        else:
            try:
                existed = runtime.plex(config).delete_item(row.rating_key)
                state.put(runtime, STATE_DELETION_REFUSED, None)
                plex["deleted"] = existed
                if not existed:
                    plex["note"] = "the item was already gone from Plex"
            except PlexError as exc:
                log.warning("could not delete Plex item %s for request %s: %s", row.rating_key, request_id, exc)
                plex["error"] = {"code": exc.code, "message": str(exc)}
                if exc.status == 403:           # Plex's "Allow media deletion" is off
                    state.put(runtime, STATE_DELETION_REFUSED, utcnow().isoformat())
    gone_from_plex = delete_from_plex and "error" not in plex and "skipped" not in plex
    with runtime.engine.begin() as conn:
        if gone_from_plex and row.library_item_id is not None:
            # The item left Plex: the mirror and the requests follow now, in the same transaction as
            # the events that say so, instead of waiting for the deletion to come back from Plex.
            lifecycle.on_items_removed(conn, [row.library_item_id], utcnow())
            remove_rows(conn, [row.library_item_id])
        conn.execute(R.delete().where(R.c.id == request_id))
    return plex


def candidates(runtime: Runtime, request_id: int, limit: int = 5) -> list[dict[str, Any]] | None:
    with runtime.engine.connect() as conn:
        row = conn.execute(select(R).where(R.c.id == request_id)).first()
        if row is None:
            return None
        rejected = {i for (i,) in conn.execute(select(REJECTED.c.library_item_id)
                                               .where(REJECTED.c.request_id == request_id))}
        near = library_near_misses(conn, request_side(row), limit=limit + len(rejected))
        near = [d for d in near if d.item_key not in rejected][:limit]
        titles = {}
        ids = [d.item_key for d in near]
        if ids:
            titles = {r.id: r for r in conn.execute(select(T.c.id, T.c.rating_key, T.c.guid, T.c.title, T.c.author)
                                                    .where(T.c.id.in_(ids)))}
    out = []
    for decision in near:
        item = titles.get(decision.item_key)
        out.append({"library_item": dict(item._mapping) if item else None, **decision.as_dict()})
    return out


class ReviewError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _review_pair(conn: Connection, request_id: int, item_id: int) -> tuple[Any, Any]:
    row = conn.execute(select(R).where(R.c.id == request_id)).first()
    if row is None:
        raise ReviewError(404, "not_found", f"no request {request_id}")
    item = conn.execute(select(*lifecycle.ITEM_COLUMNS).where(T.c.id == item_id)).first()
    if item is None:
        raise ReviewError(404, "not_found", f"no library item {item_id}")
    return row, item


def accept_candidate(runtime: Runtime, request_id: int, item_id: int, by: str | None) -> None:
    """The admin says this item is the book: link it, mark the request available, reason ``manual``."""
    now = utcnow()
    with runtime.engine.begin() as conn:
        row, item = _review_pair(conn, request_id, item_id)
        if row.status not in OPEN_STATUSES:
            raise ReviewError(409, "not_open", f"the request is {row.status}; only open requests can be linked")
        decision = explain(lifecycle.request_side(row), lifecycle.item_side(item))
        details = {**decision.as_dict(), "accepted_by": by, "matcher_reason": decision.reason}
        conn.execute(R.update().where(R.c.id == request_id).values(
            status="available", library_item_id=item_id, completed_at=now, updated_at=now, error_message=None,
            search_attempts=0, download_attempts=0, import_attempts=0, match_reason="manual",
            match_score=decision.score, match_details=details))
        conn.execute(REJECTED.delete().where(REJECTED.c.request_id == request_id,
                                             REJECTED.c.library_item_id == item_id))
    log.info('Match accepted by %s: "%s" -> "%s" (was %r) [manual]', by or "admin", row.title, item.title, row.status)


def reject_candidate(runtime: Runtime, request_id: int, item_id: int, by: str | None) -> bool:
    """The admin says this item is not the book: never propose the pair again. False if it was already."""
    with runtime.engine.begin() as conn:
        _review_pair(conn, request_id, item_id)
        exists = conn.execute(select(REJECTED.c.request_id).where(REJECTED.c.request_id == request_id,
                                                                  REJECTED.c.library_item_id == item_id)).first()
        if exists:
            return False
        conn.execute(REJECTED.insert().values(request_id=request_id, library_item_id=item_id, rejected_by=by,
                                              rejected_at=utcnow()))
    return True
