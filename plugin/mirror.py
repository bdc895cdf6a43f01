"""How Plex albums become rows of the library mirror.

One mapping (``album_row``) and one writer (``MirrorWriter``) serve the full scan, the
recently-added poll and the real-time path, so an album looks the same in the mirror
whichever way it arrived. The writer classifies each album as new, updated or
unchanged by a hash of the mapped fields and never rewrites an unchanged row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.engine import Connection

from plugin import outbox
from plugin.asin import asin_from_guid, asins_from_path, normalize_asin
from plugin.models import LibraryItem
from plugin.plex_client import AlbumRecord, ListedAlbum, TrackRecord

T = LibraryItem.__table__
INSERT_COLUMNS = ("guid", "rating_key", "section_key", "title", "author", "asin", "asin_source", "external_guids",
                  "year", "summary", "thumb", "user_rating", "added_at", "updated_at", "content_hash",
                  "first_seen_at", "last_seen_at")
BATCH = 1000
MAX_TEXT = 1024


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


def author_of(album: AlbumRecord) -> str | None:
    """``parentTitle``, falling back to ``originalTitle`` when Plex has no parentTitle."""
    return album.parent_title or album.original_title


def guid_asin(album: AlbumRecord) -> str | None:
    """ASIN from the album guid (legacy agents) or its external Guid list."""
    for guid in (album.guid, *album.guids):
        asin = asin_from_guid(guid)
        if asin:
            return asin
    return None


def skip_reason(album: AlbumRecord) -> str | None:
    if not album.guid:
        return "missing_guid"
    if not album.title or not album.title.strip():
        return "missing_title"
    if not album.rating_key:
        return "missing_rating_key"
    if len(album.guid) > 512:
        return "guid_too_long"
    return None


def album_row(album: AlbumRecord) -> dict[str, Any] | Skip:
    """The mirror columns of an album, or why it cannot be mirrored."""
    reason = skip_reason(album)
    if reason:
        return Skip(reason)
    asin = guid_asin(album)
    author = author_of(album)
    return {
        "guid": album.guid,
        "rating_key": album.rating_key,
        "section_key": album.section_key or "",
        "title": album.title.strip()[:MAX_TEXT],
        "author": author[:MAX_TEXT] if author else None,
        "asin": asin,
        "asin_source": "guid" if asin else None,
        "external_guids": list(album.guids) or None,
        "year": album.year,
        "summary": album.summary,
        "thumb": album.thumb and album.thumb[:MAX_TEXT],
        "user_rating": album.user_rating,
        "added_at": album.added_at,
        "updated_at": album.updated_at,
        "content_hash": album.fingerprint,
    }


@dataclass
class WriteCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1


_UPDATE = (
    update(T).where(T.c.id == bindparam("_id")).values(
        rating_key=bindparam("rating_key"), section_key=bindparam("section_key"), title=bindparam("title"),
        author=bindparam("author"), external_guids=bindparam("external_guids"), year=bindparam("year"),
        summary=bindparam("summary"), thumb=bindparam("thumb"), user_rating=bindparam("user_rating"),
        added_at=bindparam("added_at"), updated_at=bindparam("updated_at"),
        content_hash=bindparam("content_hash"), last_seen_at=bindparam("last_seen_at"),
        # An ASIN found in a file path (track details) survives album updates that carry none.
        asin=case((bindparam("asin", type_=T.c.asin.type).is_not(None), bindparam("asin")),
                  (T.c.asin_source == "path", T.c.asin), else_=None),
        asin_source=case((bindparam("asin_source", type_=T.c.asin_source.type).is_not(None),
                          bindparam("asin_source")),
                         (T.c.asin_source == "path", T.c.asin_source), else_=None),
    )
)


class MirrorWriter:
    """Batched upserts of albums into the mirror, inside the caller's transaction."""

    def __init__(self, conn: Connection, now: datetime, *, existing: dict[str, tuple[int, str]] | None = None):
        self.conn = conn
        self.now = now
        self.counts = WriteCounts()
        self.seen: set[str] = set()
        self._existing = existing
        self._inserts: list[dict[str, Any]] = []
        self._insert_sql: str | None = None
        self._updates: list[dict[str, Any]] = []

    def load_all(self) -> None:
        """Load (id, hash) of every row: one query instead of one per album."""
        self._existing = {g: (i, h) for i, g, h in self.conn.execute(select(T.c.id, T.c.guid, T.c.content_hash))}

    def _lookup(self, guid: str) -> tuple[int, str] | None:
        if self._existing is None:
            found = self.conn.execute(select(T.c.id, T.c.content_hash).where(T.c.guid == guid)).first()
            return tuple(found) if found else None
        return self._existing.get(guid)

    def add(self, album: AlbumRecord | ListedAlbum) -> None:
        if isinstance(album, ListedAlbum):
            # A listing: an unchanged album (the common case of a re-scan) costs one
            # fingerprint and one dict lookup; nothing is built from it.
            guid = album.guid
            if guid and guid not in self.seen:
                digest = album.fingerprint()
                known = self._lookup(guid)
                if known is not None and known[1] == digest:
                    self.seen.add(guid)
                    self.counts.unchanged += 1
                    return
                album = album.record(digest)
            else:
                album = album.record()
        reason = skip_reason(album)
        if reason:
            self.counts.skip(reason)
            return
        guid = album.guid
        if guid in self.seen:
            self.counts.skip("duplicate_guid")
            return
        self.seen.add(guid)
        known = self._lookup(guid)
        if known is not None and known[1] == album.fingerprint:
            self.counts.unchanged += 1
            return
        row = album_row(album)
        if known is None:
            self._inserts.append(row)
        else:
            row["_id"], row["last_seen_at"] = known[0], self.now
            self._updates.append(row)
            self.counts.changed_ids.append(known[0])
        if len(self._inserts) >= BATCH or len(self._updates) >= BATCH:
            self.flush()

    def _insert_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert through the driver's executemany with values already in its types: the ORM's
        per-row parameter processing would cost more than the insert itself."""
        if self._insert_sql is None:
            dialect = self.conn.dialect
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            self._insert_sql = (f"INSERT INTO {T.name} ({', '.join(INSERT_COLUMNS)}) "
                                f"VALUES ({', '.join([mark] * len(INSERT_COLUMNS))})")
            to_json = T.c.external_guids.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            to_time = T.c.first_seen_at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            self._to_json, self._now = to_json, to_time(self.now)   # one timestamp for the whole write
        to_json, now = self._to_json, self._now
        values = [(r["guid"], r["rating_key"], r["section_key"], r["title"], r["author"], r["asin"],
                   r["asin_source"], None if r["external_guids"] is None else to_json(r["external_guids"]),
                   r["year"], r["summary"], r["thumb"], r["user_rating"], r["added_at"], r["updated_at"],
                   r["content_hash"], now, now) for r in rows]
        self.conn.exec_driver_sql(self._insert_sql, values)
        outbox.emit_new_rows(self.conn, rows, self.now)

    def add_unchanged(self, guids: Iterable[str]) -> None:
        """Albums already known to match the mirror (checked by a listing child process)."""
        for guid in guids:
            if guid in self.seen:
                self.counts.skip("duplicate_guid")
            else:
                self.seen.add(guid)
                self.counts.unchanged += 1

    def fingerprints(self) -> dict[str, str]:
        assert self._existing is not None, "fingerprints need load_all()"
        return {guid: digest for guid, (_id, digest) in self._existing.items()}

    def add_all(self, albums: Iterable[AlbumRecord | ListedAlbum]) -> None:
        for album in albums:
            self.add(album)

    def flush(self) -> None:
        if self._inserts:
            self._insert_rows(self._inserts)
            self.counts.new += len(self._inserts)
            self._inserts = []
        if self._updates:
            self.conn.execute(_UPDATE, [{k: v for k, v in r.items() if k != "guid"} for r in self._updates])
            self.counts.updated += len(self._updates)
            self._updates = []

    def new_ids(self) -> list[int]:
        """Ids of the rows this writer inserted (after flush)."""
        if not self.seen:
            return []
        known = self._existing or {}
        fresh = [g for g in self.seen if g not in known]
        ids: list[int] = []
        for start in range(0, len(fresh), 500):
            chunk = fresh[start:start + 500]
            ids.extend(i for (i,) in self.conn.execute(select(T.c.id).where(T.c.guid.in_(chunk))))
        return ids

    def stale_ids(self) -> list[int]:
        """Rows not seen by this writer: only meaningful after a complete listing."""
        assert self._existing is not None, "stale rows need load_all()"
        return [i for g, (i, _h) in self._existing.items() if g not in self.seen]


def remove_rows(conn: Connection, ids: list[int]) -> int:
    removed = 0
    for start in range(0, len(ids), 500):
        outbox.emit_items(conn, "library.removed", ids[start:start + 500])
        removed += conn.execute(delete(T).where(T.c.id.in_(ids[start:start + 500]))).rowcount or 0
    return removed


def details_values(row_author: str | None, row_asin_source: str | None,
                   tracks: list[TrackRecord]) -> dict[str, Any]:
    """Columns that come from an album's tracks: duration, file paths, path ASIN, narrator."""
    files = [f for t in tracks for f in t.files]
    durations = [t.duration_ms for t in tracks if t.duration_ms]
    values: dict[str, Any] = {
        "file_paths": files or None,
        "duration_ms": sum(durations) if durations else None,
    }
    # Taggers put the narrator in the track artist; Plex shows it as originalTitle when it
    # differs from the album artist.
    narrators = {t.original_title for t in tracks if t.original_title and t.original_title != row_author}
    values["narrator"] = narrators.pop()[:MAX_TEXT] if len(narrators) == 1 else None
    if row_asin_source != "guid":
        path_asins = [a for f in files for a in asins_from_path(f)]
        asin = normalize_asin(path_asins[0]) if path_asins and len(set(path_asins)) == 1 else None
        values["asin"], values["asin_source"] = (asin, "path") if asin else (None, None)
    return values
