"""The durable outbox: events for notification targets, written in the transaction of the
change that caused them, so an event exists exactly when its change was committed.

``emit`` is the one writer. The change sites call it (or the helpers below, which load the
record as the API shows it) with the Connection of their own transaction; the worker's
``plugin.delivery`` sends what is pending. One row per event and target; its
``webhook_id`` is fixed when the event is written, so every retry carries the same id.

Events nobody subscribed to are not written at all: a full scan of 100,000 new albums
costs one small query per batch of rows unless a target listens to ``library.added``.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from plugin.db import placeholder
from plugin.models import AudiobookRequest, LibraryItem, NotificationTarget, OutboxMessage, table, utcnow
from plugin.serializers import item_dict, request_dict
from plugin.status import iso

EVENTS = ("request.available", "request.unavailable", "request.created", "library.added", "library.removed")
TARGETS = table(NotificationTarget)
OUTBOX = table(OutboxMessage)
REQUESTS = table(AudiobookRequest)
ITEMS = table(LibraryItem)
CHUNK = 500


def subscribers(conn: Connection, event_type: str) -> list[Any]:
    """Enabled targets that listen to an event (a paused target still collects its events)."""
    rows = conn.execute(select(TARGETS.c.id, TARGETS.c.user, TARGETS.c.events)
                        .where(TARGETS.c.enabled.is_(True))).all()
    return [r for r in rows if event_type in (r.events or ())]


def emit(conn: Connection, event_type: str, data: dict[str, Any], *,
         targets: Sequence[Any] | None = None) -> int:
    """Write one event for every target that wants it; returns the number of rows written.

    A target with a ``user`` only hears about requests of that user."""
    targets = subscribers(conn, event_type) if targets is None else targets
    rows = _rows(event_type, data, targets)
    if rows:
        conn.execute(OUTBOX.insert(), rows)
    return len(rows)


def _rows(event_type: str, data: dict[str, Any], targets: Sequence[Any]) -> list[dict[str, Any]]:
    if event_type not in EVENTS:
        raise ValueError(f"unknown event {event_type}")
    user = (data.get("request") or {}).get("user")
    wanted = [t.id for t in targets if t.user is None or (user is not None and t.user == user)]
    if not wanted:
        return []
    now = utcnow()
    body = {"type": event_type, "timestamp": iso(now), "data": data}
    webhook_id = f"msg_{uuid.uuid4().hex}"
    return [{"target_id": target_id, "event_type": event_type, "webhook_id": webhook_id, "payload": body,
             "status": "pending", "attempts": 0, "created_at": now} for target_id in wanted]


def _write(conn: Connection, rows: list[dict[str, Any]]) -> int:
    if rows:
        conn.execute(OUTBOX.insert(), rows)
    return len(rows)


def emit_requests(conn: Connection, event_type: str, request_ids: Iterable[int], *,
                  former_items: dict[int, int] | None = None) -> int:
    """One event per request, with the request (and its library item) as the API shows them.

    ``former_items`` maps request ids to the library item that just left Plex
    (``request.unavailable``): the item is still in the mirror when this runs."""
    ids = list(request_ids)
    targets = subscribers(conn, event_type) if ids else []
    if not targets:
        return 0
    written = 0
    for start in range(0, len(ids), CHUNK):
        batch: list[dict[str, Any]] = []
        rows = conn.execute(select(REQUESTS).where(REQUESTS.c.id.in_(ids[start:start + CHUNK]))).all()
        item_ids = {r.library_item_id for r in rows if r.library_item_id}
        item_ids.update((former_items or {}).values())
        items = _items(conn, item_ids)
        for row in rows:
            item_id = row.library_item_id or (former_items or {}).get(row.id)
            item = items.get(item_id) if item_id else None
            data: dict[str, Any] = {"request": request_dict(row, items.get(row.library_item_id))}
            if item is not None:
                data["library_item"] = item_dict(item)
            batch.extend(_rows(event_type, data, targets))
        written += _write(conn, batch)
    return written


def emit_items(conn: Connection, event_type: str, item_ids: Sequence[int]) -> int:
    """One ``library.*`` event per mirror row (call before a removal, after an insert)."""
    targets = subscribers(conn, event_type) if item_ids else []
    if not targets:
        return 0
    written = 0
    for start in range(0, len(item_ids), CHUNK):
        written += _write(conn, [row for item in _items(conn, item_ids[start:start + CHUNK]).values()
                                 for row in _rows(event_type, {"library_item": item_dict(item)}, targets)])
    return written


def emit_new_rows(conn: Connection, rows: Sequence[dict[str, Any]], now: datetime, *,
                  targets: Sequence[Any] | None = None) -> int:
    """``library.added`` for mirror rows just inserted (the mapped values of each), to
    ``targets`` when the caller looked them up already.

    The hot path of a full scan: the item is built from the values already in hand (only the
    ids are read back) and the outbox rows go through the driver's executemany."""
    if targets is None:
        targets = subscribers(conn, "library.added") if rows else []
    if not targets:
        return 0
    written = 0
    fresh = {"narrator": None, "duration_ms": None, "file_paths": None, "first_seen_at": now, "last_seen_at": now}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        ids = dict(conn.execute(select(ITEMS.c.guid, ITEMS.c.id).where(ITEMS.c.guid.in_([r["guid"] for r in chunk])))
                   .all())
        datas = [{"library_item": item_dict(SimpleNamespace(**row, **fresh, id=ids[row["guid"]]))}
                 for row in chunk if row["guid"] in ids]
        written += _write_fast(conn, "library.added", datas, targets)
    return written


def _write_fast(conn: Connection, event_type: str, datas: list[dict[str, Any]], targets: Sequence[Any]) -> int:
    """Many events without a user (library events) to every target, through the driver."""
    wanted = [t.id for t in targets if t.user is None]
    if not wanted or not datas:
        return 0
    dialect = conn.dialect
    mark = placeholder(dialect)
    to_time = OUTBOX.c.created_at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    to_json = OUTBOX.c.payload.type.dialect_impl(dialect).bind_processor(dialect) or json.dumps
    now = utcnow()
    created, stamp = to_time(now), iso(now)
    values: list[tuple[Any, ...]] = []
    for data in datas:
        payload = to_json({"type": event_type, "timestamp": stamp, "data": data})
        webhook_id = f"msg_{uuid.uuid4().hex}"
        values.extend((target_id, event_type, webhook_id, payload, "pending", 0, created) for target_id in wanted)
    conn.exec_driver_sql(f"INSERT INTO {OUTBOX.name} (target_id, event_type, webhook_id, payload, status, attempts, "
                         f"created_at) VALUES ({', '.join([mark] * 7)})", values)
    return len(values)


def _items(conn: Connection, ids: Iterable[int]) -> dict[int, Any]:
    wanted = list(ids)
    out: dict[int, Any] = {}
    for start in range(0, len(wanted), CHUNK):
        out.update((r.id, r) for r in conn.execute(select(ITEMS).where(ITEMS.c.id.in_(wanted[start:start + CHUNK]))))
    return out
