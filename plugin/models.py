"""Database tables. Times are timezone-aware UTC; Plex's own times stay as Plex gives them
(epoch seconds) so comparisons with Plex filters need no conversion."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class StoredSetting(Base):
    """One row per setting saved by the admin; secrets are stored encrypted."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class LibraryItem(Base):
    """The mirror: one row per Plex album (one audiobook).

    ``content_hash`` covers every field a scan maps from Plex, so a re-scan can tell
    an unchanged album without rewriting it.
    """

    __tablename__ = "library_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(512), unique=True)
    rating_key: Mapped[str] = mapped_column(String(64), index=True)
    section_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(1024))
    author: Mapped[str | None] = mapped_column(String(1024))
    narrator: Mapped[str | None] = mapped_column(String(1024))
    asin: Mapped[str | None] = mapped_column(String(10), index=True)
    asin_source: Mapped[str | None] = mapped_column(String(16))
    external_guids: Mapped[list | None] = mapped_column(JSON)
    year: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    thumb: Mapped[str | None] = mapped_column(String(1024))
    user_rating: Mapped[float | None] = mapped_column(Float)
    added_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(32))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    file_paths: Mapped[list | None] = mapped_column(JSON)
    details_updated_at: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobRun(Base):
    """One run of a job: what ran, why, when, how long, and what it found."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))          # running, ok, failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[dict | None] = mapped_column(JSON)
    error_class: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


OPEN_STATUSES = ("pending", "searching", "downloading", "processing", "downloaded", "failed",
                 "awaiting_search", "awaiting_import", "warn")
TERMINAL_STATUSES = ("available", "cancelled", "denied")
STATUSES = OPEN_STATUSES + TERMINAL_STATUSES
# Statuses in which the download pipeline is working on the book (a new request for it is a conflict).
PROCESSING_STATUSES = ("searching", "downloading", "processing", "downloaded", "awaiting_search",
                       "awaiting_import")


class AudiobookRequest(Base):
    """A request for an audiobook, moved through the pipeline until it is available."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_status", "status"), Index("ix_requests_user", "user"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(512))
    author: Mapped[str | None] = mapped_column(String(512))
    narrator: Mapped[str | None] = mapped_column(String(512))
    asin: Mapped[str | None] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(32), default="pending")
    error_message: Mapped[str | None] = mapped_column(Text)
    search_attempts: Mapped[int] = mapped_column(Integer, default=0)
    download_attempts: Mapped[int] = mapped_column(Integer, default=0)
    import_attempts: Mapped[int] = mapped_column(Integer, default=0)
    library_item_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("library_items.id", ondelete="SET NULL"), index=True)
    match_reason: Mapped[str | None] = mapped_column(String(32))
    match_score: Mapped[float | None] = mapped_column(Float)
    match_details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InboxEvent(Base):
    """A durable real-time event (webhook or websocket) waiting to be, or already, processed.

    ``dedupe_key`` names the album an event is about when that is known on arrival; a
    unique index over pending events makes a burst for one album (one event per track,
    replays) coalesce into a single row.
    """

    __tablename__ = "inbox_events"
    __table_args__ = (
        Index("ix_inbox_status_due", "status", "next_attempt_at"),
        Index("ux_inbox_pending_dedupe", "dedupe_key", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))              # webhook, websocket
    event: Mapped[str] = mapped_column(String(32))               # library.new, timeline.created, timeline.deleted
    section_key: Mapped[str | None] = mapped_column(String(64))
    item_type: Mapped[str] = mapped_column(String(16))           # album, track, artist
    rating_key: Mapped[str] = mapped_column(String(64))
    parent_rating_key: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(96))
    title: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending, processing, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    coalesced: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[dict | None] = mapped_column(JSON)


class NotificationTarget(Base):
    """Where events go: a signed webhook for the host app, or an Apprise URL for people.

    ``url`` and ``secret`` are stored encrypted (Apprise URLs carry credentials). A target
    whose deliveries fail ``notification_max_failures`` times in a row is paused
    (``paused_at``) until the admin enables it again. ``user`` makes a per-user target: it
    only hears about that user's requests.
    """

    __tablename__ = "notification_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))                      # webhook, apprise
    url: Mapped[str] = mapped_column(Text)                             # encrypted
    secret: Mapped[str | None] = mapped_column(Text)                   # encrypted whsec_… (webhooks)
    events: Mapped[list] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    user: Mapped[str | None] = mapped_column(String(128), index=True)
    title_template: Mapped[str | None] = mapped_column(String(512))
    body_template: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """One event for one target, written in the transaction of the change that caused it.

    The row is the delivery log too: attempts, the last answer, when it was delivered.
    ``webhook_id`` stays the same across retries so receivers can de-duplicate.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_target", "status", "target_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, ForeignKey("notification_targets.id", ondelete="CASCADE"),
                                           index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    webhook_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")    # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
