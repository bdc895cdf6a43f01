"""The durable inbox: real-time events from webhooks and the websocket, stored before they
are acknowledged and handed, one at a time, to ``plugin.ingest`` by the one worker. The
inbox only queues: coalescing, claiming, retries with backoff, outcomes.

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

from plugin import ingest, metrics
from plugin.models import InboxEvent, utcnow
from plugin.plex import PlexClient, PlexError
from plugin.runtime import Runtime

log = logging.getLogger(__name__)

# Events for one album arriving within this window share one fetch (one webhook per track).
COALESCE_WINDOW = timedelta(milliseconds=500)
BACKOFF_S = (2, 5, 15, 60, 300, 900)
ITEM_TYPES = ("album", "track", "artist")


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


def _outcome(summary: dict[str, Any], batch: list[int]) -> dict[str, Any]:
    """What an event's batch did, as recorded on each of its events."""
    outcome: dict[str, Any] = {key: summary[key] for key in ("total", "new", "updated", "unchanged", "removed", "skipped",
                                             "ignored", "details", "requests_back_to_downloaded") if key in summary}
    outcome["matched"] = summary["matching"].get("matched", 0)
    outcome["batch"] = batch
    return outcome


class InboxProcessor:
    """Claims due events and turns each into mirror rows and request transitions."""

    def __init__(self, runtime: Runtime, *, max_attempts: int | None = None):
        self.runtime = runtime
        self._max_attempts = max_attempts

    @property
    def max_attempts(self) -> int:
        """Tries per event: the ``inbox_max_attempts`` setting unless fixed by the caller."""
        if self._max_attempts is not None:
            return self._max_attempts
        return int(self.runtime.config(max_age=30.0).inbox_max_attempts)

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
        """Process what is due as one change; return how many events were handled.

        A burst (one event per track, replays, many books at once) becomes one ingest: each
        album fetched once, one matching pass. An event whose item could not be fetched is
        retried on its own.
        """
        events = self.claim(limit)
        if not events:
            return 0
        config = self.runtime.config()
        client = client or self.runtime.plex(config)
        refs: list[ingest.ItemRef] = []
        owners: list[InboxEvent] = []          # refs[i] came from owners[i]
        deleted: list[str] = []
        outcomes: dict[int, dict[str, Any]] = {}
        for event in events:
            if event.event == "timeline.deleted":
                if event.item_type == "album":
                    deleted.append(event.rating_key)
                else:
                    outcomes[event.id] = {"ignored": "track deletions leave the album to the next scan"}
            else:
                refs.append(ingest.ItemRef(event.item_type, event.rating_key, event.parent_rating_key))
                owners.append(event)
        try:
            summary = ingest.apply(self.runtime, client, ingest.Change(refs=refs, deleted=deleted,
                                                                       sections=list(config.plex_library)))
        except Exception as exc:  # noqa: BLE001 - the events stay and are tried again
            if not isinstance(exc, PlexError):
                log.exception("inbox batch of %s events crashed", len(events))
            for event in events:
                self._retry(event, exc)
            return len(events)
        failures: dict[int, Exception] = summary.pop("failed_refs", {})
        details_error = (summary.get("details") or {}).get("error_class")
        if details_error:
            # The albums are in the mirror but their tracks are not: try the whole batch again
            # (the next try looks at these albums again even though they are unchanged).
            message = f"track details stopped: {summary['details'].get('error')}"
            for event in events:
                self._retry(event, RuntimeError(message))
            return len(events)
        for position, failure in failures.items():
            self._retry(owners[position], failure)
        shared = _outcome(summary, [e.id for e in events])
        for event in events:
            if any(owners[p] is event for p in failures):
                continue
            self._finish(event, "done", outcome=outcomes.get(event.id, shared))
        matched = shared["matched"]
        if matched:
            first = min(events, key=lambda e: e.received_at)
            metrics.record_event_available(first.source, first.received_at, matched)
        return len(events)

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

