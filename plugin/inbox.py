"""The durable inbox: real-time events from webhooks and the websocket, stored before they
are acknowledged and processed by the one worker.

Processing is idempotent — the mirror upserts by guid and a request only leaves an open
status once (a conditional update) — so an event interrupted by a crash is simply
processed again after restart: exactly once in effect.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from plugin import lifecycle, metrics
from plugin.mirror import MirrorWriter, T, remove_rows
from plugin.models import InboxEvent, utcnow
from plugin.plex_client import AlbumRecord, PlexClient, PlexError
from plugin.runtime import Runtime
from plugin.sync import fetch_details

log = logging.getLogger(__name__)

# Events for one album arriving within this window share one fetch (one webhook per track).
COALESCE_WINDOW = timedelta(milliseconds=500)
BACKOFF_S = (2, 5, 15, 60, 300, 900)
ITEM_TYPES = ("album", "track", "artist")


class NotReady(Exception):
    """Plex knows the item but has not finished processing its metadata yet."""


@dataclass(frozen=True)
class NewEvent:
    source: str               # webhook or websocket
    event: str                # library.new, timeline.created, timeline.deleted
    item_type: str            # album, track, artist
    rating_key: str
    section_key: str | None = None
    parent_rating_key: str | None = None
    title: str | None = None

    @property
    def dedupe_key(self) -> str:
        if self.event == "timeline.deleted":
            return f"deleted:{self.item_type}:{self.rating_key}"
        if self.item_type == "album":
            return f"album:{self.rating_key}"
        if self.item_type == "track" and self.parent_rating_key:
            return f"album:{self.parent_rating_key}"
        return f"{self.item_type}:{self.rating_key}"


def enqueue(runtime: Runtime, event: NewEvent) -> tuple[int, bool]:
    """Store an event durably; return (event id, coalesced into a pending one)."""
    now = utcnow()
    for _attempt in range(3):
        with runtime.session() as s:
            pending = s.execute(update(InboxEvent)
                                .where(InboxEvent.dedupe_key == event.dedupe_key, InboxEvent.status == "pending")
                                .values(coalesced=InboxEvent.coalesced + 1, last_received_at=now)
                                .returning(InboxEvent.id)).scalar()
            if pending is not None:
                return pending, True
        try:
            with runtime.session() as s:
                row = InboxEvent(source=event.source, event=event.event, item_type=event.item_type,
                                 rating_key=event.rating_key[:64], section_key=event.section_key,
                                 parent_rating_key=event.parent_rating_key, dedupe_key=event.dedupe_key[:96],
                                 title=(event.title or "")[:512] or None, status="pending", attempts=0,
                                 coalesced=0, received_at=now, last_received_at=now,
                                 next_attempt_at=now + COALESCE_WINDOW)
                s.add(row)
                s.flush()
                return row.id, False
        except IntegrityError:
            continue      # another process stored the same album a moment ago: coalesce into it
    raise RuntimeError("could not store the event")


def recover(runtime: Runtime) -> int:
    """At worker start: events a killed worker was processing go back to pending."""
    recovered = 0
    with runtime.session() as s:
        stuck = s.scalars(select(InboxEvent).where(InboxEvent.status == "processing")).all()
        for row in stuck:
            newer = s.scalar(select(InboxEvent.id).where(InboxEvent.dedupe_key == row.dedupe_key,
                                                         InboxEvent.status == "pending"))
            if newer is not None:
                row.status, row.processed_at = "done", utcnow()
                row.outcome = {"superseded_by": newer}
            else:
                row.status = "pending"
                recovered += 1
    return recovered


def depth(runtime: Runtime) -> dict[str, Any]:
    with runtime.session() as s:
        by_status = dict(s.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all())
        last = s.scalars(select(InboxEvent).where(InboxEvent.source == "webhook")
                         .order_by(InboxEvent.id.desc()).limit(1)).first()
    return {"pending": by_status.get("pending", 0) + by_status.get("processing", 0),
            "failed": by_status.get("failed", 0), "done": by_status.get("done", 0),
            "last_webhook_at": last.last_received_at.isoformat() if last else None}


class InboxProcessor:
    """Claims due events and turns each into mirror rows and request transitions."""

    def __init__(self, runtime: Runtime, *, max_attempts: int = 6):
        self.runtime = runtime
        self.max_attempts = max_attempts

    def claim(self, limit: int = 50) -> list[InboxEvent]:
        now = utcnow()
        with self.runtime.session() as s:
            due = s.scalars(select(InboxEvent).where(InboxEvent.status == "pending",
                                                     InboxEvent.next_attempt_at <= now)
                            .order_by(InboxEvent.id).limit(limit)).all()
            for row in due:
                row.status = "processing"
                row.attempts += 1
        return list(due)

    def run_once(self, client: PlexClient | None = None, limit: int = 50) -> int:
        """Process what is due; return how many events were handled."""
        events = self.claim(limit)
        if not events:
            return 0
        config = self.runtime.config()
        client = client or self.runtime.plex(config)
        sections = set(config.plex_library)
        fetched: dict[str, dict[str, Any]] = {}      # album key -> outcome, within this batch
        for event in events:
            try:
                outcome = self._handle(event, client, sections, fetched)
            except (PlexError, NotReady) as exc:
                self._retry(event, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad event must not stop the inbox
                log.exception("inbox event %s crashed", event.id)
                self._retry(event, exc)
                continue
            self._finish(event, "done", outcome=outcome)
            metrics.record_event_available(event.source, event.received_at, outcome.get("matched") or 0)
        return len(events)

    def _handle(self, event: InboxEvent, client: PlexClient, sections: set[str],
                fetched: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if event.event == "timeline.deleted":
            return self._deleted(event)
        album_keys = self._album_keys(event, client)
        albums: list[AlbumRecord] = []
        reused = []
        for key in album_keys:
            if key in fetched:
                reused.append(key)
                continue
            album = client.album(key)
            if not album.guid or not album.title:
                raise NotReady(f"Plex is still processing album {key}")
            albums.append(album)
        if event.section_key is None and albums and albums[0].section_key not in sections:
            return {"ignored": f"section {albums[0].section_key} is not an audiobook library"}
        outcome = self._ingest([a for a in albums if not sections or a.section_key in sections], client)
        for album in albums:
            fetched[album.rating_key] = outcome
        if reused:
            outcome = dict(outcome, coalesced_with_batch=reused)
        return outcome

    def _album_keys(self, event: InboxEvent, client: PlexClient) -> list[str]:
        if event.item_type == "album":
            return [event.rating_key]
        if event.item_type == "track":
            parent = event.parent_rating_key or client.metadata(event.rating_key).parent_rating_key
            if not parent:
                raise NotReady(f"track {event.rating_key} has no album yet")
            return [parent]
        return [a.rating_key for a in client.artist_albums(event.rating_key)]

    def _ingest(self, albums: list[AlbumRecord], client: PlexClient) -> dict[str, Any]:
        now = utcnow()
        with self.runtime.engine.begin() as conn:
            writer = MirrorWriter(conn, now)
            writer.add_all(albums)
            writer.flush()
            guids = [a.guid for a in albums if a.guid]
            ids = [i for (i,) in conn.execute(select(T.c.id).where(T.c.guid.in_(guids)))] if guids else []
        details = fetch_details(self.runtime, client, limit=0, item_ids=ids) if ids else None
        matching = lifecycle.reconcile(self.runtime, now=now, item_ids=ids)
        counts = writer.counts
        return {"albums": [a.rating_key for a in albums], "new": counts.new, "updated": counts.updated,
                "unchanged": counts.unchanged, "skipped": counts.skipped, "details": details,
                "matched": matching["matched"]}

    def _deleted(self, event: InboxEvent) -> dict[str, Any]:
        if event.item_type != "album":
            return {"ignored": "track deletions leave the album to the next scan"}
        now = utcnow()
        with self.runtime.engine.begin() as conn:
            ids = [i for (i,) in conn.execute(select(T.c.id).where(T.c.rating_key == event.rating_key))]
            moved = lifecycle.on_items_removed(conn, ids, now)
            removed = remove_rows(conn, ids)
        return {"removed": removed, "requests_back_to_downloaded": moved}

    def _retry(self, event: InboxEvent, exc: BaseException) -> None:
        message = str(exc) or type(exc).__name__
        if event.attempts >= self.max_attempts:
            log.warning("inbox event %s (%s %s) failed after %s attempts: %s", event.id, event.item_type,
                        event.rating_key, event.attempts, message)
            self._finish(event, "failed", error=message)
            return
        delay = BACKOFF_S[min(event.attempts - 1, len(BACKOFF_S) - 1)]
        log.info("inbox event %s: %s; retrying in %s s", event.id, message, delay)
        with self.runtime.session() as s:
            row = s.get(InboxEvent, event.id)
            row.last_error = message
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            try:
                row.status = "pending"
                s.flush()
            except IntegrityError:
                # A newer event for the same album is already pending: it carries this one.
                s.rollback()
                row = s.get(InboxEvent, event.id)
                row.status, row.processed_at, row.outcome = "done", utcnow(), {"superseded": True}

    def _finish(self, event: InboxEvent, status: str, *, outcome: dict[str, Any] | None = None,
                error: str | None = None) -> None:
        with self.runtime.session() as s:
            row = s.get(InboxEvent, event.id)
            row.status, row.processed_at = status, utcnow()
            row.outcome, row.last_error = outcome, error if error else row.last_error

