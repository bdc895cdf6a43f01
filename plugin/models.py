"""Database tables. Times are timezone-aware UTC; Plex's own times stay as Plex gives them
(epoch seconds) so comparisons with Plex filters need no conversion."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import cast

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


def table(model: type[Base]) -> Table:
    """A model's Core table, typed as the Table it is (SQLAlchemy types ``__table__`` as a FromClause)."""
    return cast(Table, model.__table__)


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


class LibraryItemKey(Base):
    """The words and ASINs a mirror row can be found by, as the matcher normalizes them.

    Written with the row (``plugin.matching.candidates.store_keys``), read when one request
    asks for its candidates, so request creation and every scan find a book by the same
    rule. ``key`` is an indexed title word (long words by their consonant skeleton) or
    ``asin:`` and the ASIN.
    """

    __tablename__ = "library_item_keys"
    # Clustered by key in SQLite: the look-up reads one range, and no rowid b-tree is kept.
    __table_args__ = (Index("ix_library_item_keys_item", "item_id"), {"sqlite_with_rowid": False})

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True)


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
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)     # the audiobook's runtime, when known
    language: Mapped[str | None] = mapped_column(String(35))        # a BCP 47 tag such as "en" or "de-DE"
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


class User(Base):
    """Someone who signs in: a Plex account (``plex-<plex id>``) or a local admin (``local-...``).

    ``plextv_token`` and ``server_token`` are stored encrypted; ``server_token`` is the
    account's own access token for the server ``server_machine_identifier`` (from plex.tv's
    ``/resources``), so a user's operations never need the system token.
    """

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))                     # plex, local
    plex_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    plex_uuid: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    plextv_token: Mapped[str | None] = mapped_column(Text)
    server_token: Mapped[str | None] = mapped_column(Text)
    server_machine_identifier: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(8), default="user")      # admin, user
    role_locked: Mapped[bool] = mapped_column(default=False)          # set by an admin: sign-in keeps it
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    access_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    access_check: Mapped[str | None] = mapped_column(String(32))     # ok, no_access, token_revoked, ...


class AuthSession(Base):
    """A server-side sign-in session. ``id`` is the SHA-256 of the cookie value, so the
    table alone cannot be replayed as cookies."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(64))


class AuthPin(Base):
    """A plex.tv PIN plexbooks asked for; ``used_at`` makes it good for one sign-in."""

    __tablename__ = "auth_pins"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)   # plex.tv's PIN id
    code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """One failed password sign-in, counted per account and per address for throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))                    # account:<name> or address:<ip>
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RejectedCandidate(Base):
    """A near miss the admin rejected: this request and this library item are never proposed again."""

    __tablename__ = "rejected_candidates"

    request_id: Mapped[int] = mapped_column(Integer, ForeignKey("requests.id", ondelete="CASCADE"),
                                            primary_key=True)
    library_item_id: Mapped[int] = mapped_column(Integer, ForeignKey("library_items.id", ondelete="CASCADE"),
                                                 primary_key=True)
    rejected_by: Mapped[str | None] = mapped_column(String(255))
    rejected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
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
