"""How Plex albums become rows of the library mirror.

One mapping (``album_row``) and one writer (``MirrorWriter``) serve every source of change
through ``plugin.ingest``, so an album looks the same in the mirror whichever way it
arrived. Each album is written by one ``INSERT … ON CONFLICT (guid) DO UPDATE``: two
writers that see the same new album at once (the poll and a webhook) cannot collide, and
the conflict clause leaves a row whose fingerprint is unchanged untouched. The writer
also skips unchanged albums before building anything from them.

ASINs follow one rule: the album's guid (or its external Guid list) wins; otherwise the
single ASIN its files name (``plugin.asin.path_asin``), found when track details arrive
and kept across album updates that carry none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from plugin import outbox
from plugin.db import placeholder
from plugin.asin import asin_from_guid, path_asin
from plugin.matching.candidates import refresh_asin_keys, store_keys
from plugin.models import LibraryItem, table
from plugin.plex import AlbumRecord, ListedAlbum, TrackRecord
from plugin.prepare import MAX_TEXT, stored_title

ITEMS = table(LibraryItem)
INSERT_COLUMNS = ("guid", "rating_key", "section_key", "title", "author", "asin", "asin_source", "external_guids",
                  "year", "summary", "thumb", "user_rating", "added_at", "updated_at", "content_hash",
                  "first_seen_at", "last_seen_at")
BATCH = 1000


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
        "title": stored_title(album),
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

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1


def _upsert_sql(dialect: Any) -> str:
    """The one statement that writes an album: insert, or update the row with that guid when
    its fingerprint differs. ``first_seen_at`` is kept; a path ASIN survives an update whose
    album carries no ASIN of its own."""
    mark = placeholder(dialect)
    distinct = "IS NOT" if dialect.name == "sqlite" else "IS DISTINCT FROM"
    table = ITEMS.name
    kept = [c for c in INSERT_COLUMNS if c not in ("guid", "first_seen_at", "asin", "asin_source")]
    assignments = [f"{c} = excluded.{c}" for c in kept]
    assignments += [
        f"asin = CASE WHEN excluded.asin IS NOT NULL THEN excluded.asin "
        f"WHEN {table}.asin_source = 'path' THEN {table}.asin ELSE NULL END",
        f"asin_source = CASE WHEN excluded.asin IS NOT NULL THEN excluded.asin_source "
        f"WHEN {table}.asin_source = 'path' THEN 'path' ELSE NULL END",
    ]
    return (f"INSERT INTO {table} ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join([mark] * len(INSERT_COLUMNS))}) "
            f"ON CONFLICT (guid) DO UPDATE SET {', '.join(assignments)} "
            f"WHERE {table}.content_hash {distinct} excluded.content_hash")


class MirrorWriter:
    """Batched upserts of albums into the mirror, inside the caller's transaction.

    ``load_all`` (a full scan) reads every row's fingerprint once; otherwise each album's
    row is looked up by guid. Either way the write itself is the conflict-safe upsert.
    """

    def __init__(self, conn: Connection, now: datetime):
        self.conn = conn
        self.now = now
        self.counts = WriteCounts()
        self.seen: set[str] = set()
        self.written: list[str] = []          # guids of new or changed albums, in write order
        self._existing: dict[str, tuple[int, str]] | None = None
        self._rows: list[dict[str, Any]] = []
        self._sql: str | None = None
        self._new: set[str] = set()           # guids not in the mirror before: library.added

    def load_all(self) -> None:
        """Load (id, hash) of every row: one query instead of one per album."""
        # .all(): the driver's one fetchall, not a fetchone per row (100,000 rows in a large library)
        rows = self.conn.execute(select(ITEMS.c.id, ITEMS.c.guid, ITEMS.c.content_hash)).all()
        self._existing = {g: (i, h) for i, g, h in rows}

    def _lookup(self, guid: str) -> tuple[int, str] | None:
        if self._existing is None:
            found = self.conn.execute(select(ITEMS.c.id, ITEMS.c.content_hash).where(ITEMS.c.guid == guid)).first()
            return (found[0], found[1]) if found else None
        return self._existing.get(guid)

    def add(self, album: AlbumRecord | ListedAlbum, prepared: dict[str, Any] | None = None) -> None:
        """One album; ``prepared``: what a listing child derived for it already, by guid."""
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
        assert guid is not None
        if guid in self.seen:
            self.counts.skip("duplicate_guid")
            return
        self.seen.add(guid)
        known = self._lookup(guid)
        if known is not None and known[1] == album.fingerprint:
            self.counts.unchanged += 1
            return
        row = album_row(album)
        assert not isinstance(row, Skip)
        if known is None:
            self.counts.new += 1
            self._new.add(guid)
        else:
            self.counts.updated += 1
            row["_id"] = known[0]
        if prepared and guid in prepared:
            row["title_keys"] = prepared[guid]
        self._rows.append(row)
        self.written.append(guid)
        if len(self._rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows through the driver's executemany with values already in its
        types: the ORM's per-row parameter processing would cost more than the write itself."""
        if not self._rows:
            return
        if self._sql is None:
            dialect = self.conn.dialect
            self._sql = _upsert_sql(dialect)
            to_json = ITEMS.c.external_guids.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            to_time = ITEMS.c.first_seen_at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
            self._to_json, self._now = to_json, to_time(self.now)   # one timestamp for the whole write
        to_json, now = self._to_json, self._now
        values = [(r["guid"], r["rating_key"], r["section_key"], r["title"], r["author"], r["asin"],
                   r["asin_source"], None if r["external_guids"] is None else to_json(r["external_guids"]),
                   r["year"], r["summary"], r["thumb"], r["user_rating"], r["added_at"], r["updated_at"],
                   r["content_hash"], now, now) for r in self._rows]
        self.conn.exec_driver_sql(self._sql, values)
        store_keys(self.conn, self._rows)          # the matcher's look-up keys, in the same transaction
        outbox.emit_new_rows(self.conn, [r for r in self._rows if r["guid"] in self._new], self.now)
        self._rows = []

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

    def add_all(self, albums: Iterable[AlbumRecord | ListedAlbum], prepared: dict[str, Any] | None = None) -> None:
        for album in albums:
            self.add(album, prepared)

    def written_ids(self) -> list[int]:
        """Ids of the rows this writer inserted or changed (after flush), read back once."""
        if not self.written:
            return []
        if len(self.written) > 5000:
            wanted = set(self.written)
            return [i for i, g in self.conn.execute(select(ITEMS.c.id, ITEMS.c.guid)).all() if g in wanted]
        ids: list[int] = []
        for start in range(0, len(self.written), 500):
            chunk = self.written[start:start + 500]
            ids.extend(i for (i,) in self.conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid.in_(chunk))))
        return ids

    def seen_ids(self) -> list[int]:
        """Ids of every row this writer saw, changed or not (after flush)."""
        guids = list(self.seen)
        ids: list[int] = []
        for start in range(0, len(guids), 500):
            chunk = guids[start:start + 500]
            ids.extend(i for (i,) in self.conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid.in_(chunk))))
        return ids

    def stale_ids(self) -> list[int]:
        """Rows not seen by this writer: only meaningful after a complete listing."""
        assert self._existing is not None, "stale rows need load_all()"
        return [i for g, (i, _h) in self._existing.items() if g not in self.seen]


def remove_rows(conn: Connection, ids: list[int]) -> int:
    removed = 0
    for start in range(0, len(ids), 500):
        outbox.emit_items(conn, "library.removed", ids[start:start + 500])
        removed += conn.execute(delete(ITEMS).where(ITEMS.c.id.in_(ids[start:start + 500]))).rowcount or 0
    return removed


def details_values(row_author: str | None, row_asin_source: str | None,
                   tracks: Sequence[TrackRecord]) -> dict[str, Any]:
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
        asin = path_asin(files)
        values["asin"], values["asin_source"] = (asin, "path") if asin else (None, None)
    return values


DETAILS_COLUMNS = ("file_paths", "duration_ms", "narrator", "asin", "asin_source", "details_updated_at")


class DetailsWriter:
    """Track details for many albums, written with one driver-level executemany per batch."""

    def __init__(self, conn: Connection):
        self.conn = conn
        dialect = conn.dialect
        mark = placeholder(dialect)
        self._to_json = ITEMS.c.file_paths.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        # The ASIN columns change only for albums whose ASIN does not come from the guid.
        self._sql_path = (f"UPDATE {ITEMS.name} SET " + ", ".join(f"{c} = {mark}" for c in DETAILS_COLUMNS)
                          + f" WHERE id = {mark}")
        guid_columns = [c for c in DETAILS_COLUMNS if c not in ("asin", "asin_source")]
        self._sql_guid = (f"UPDATE {ITEMS.name} SET " + ", ".join(f"{c} = {mark}" for c in guid_columns)
                          + f" WHERE id = {mark}")

    def write(self, rows: Sequence[tuple[int, str | None, str | None, int | None, Sequence[TrackRecord]]]) -> int:
        """rows: (id, author, asin_source, album updated_at, tracks)."""
        with_path: list[tuple] = []
        with_guid: list[tuple] = []
        files_of: list[tuple[int, list[str]]] = []
        for item_id, author, asin_source, updated_at, tracks in rows:
            v = details_values(author, asin_source, tracks)
            files_of.append((item_id, v["file_paths"] or []))
            paths = None if v["file_paths"] is None else self._to_json(v["file_paths"])
            if "asin" in v:
                with_path.append((paths, v["duration_ms"], v["narrator"], v["asin"], v["asin_source"],
                                  updated_at or 0, item_id))
            else:
                with_guid.append((paths, v["duration_ms"], v["narrator"], updated_at or 0, item_id))
        if with_path:
            self.conn.exec_driver_sql(self._sql_path, with_path)
        if with_guid:
            self.conn.exec_driver_sql(self._sql_guid, with_guid)
        refresh_asin_keys(self.conn, files_of)     # a path ASIN is a look-up key too
        return len(rows)
