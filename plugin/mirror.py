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
from typing import Any, Collection, Iterable, Sequence

from sqlalchemy import Index, delete, select
from sqlalchemy.engine import Connection

from plugin import outbox
from plugin.db import placeholder
from plugin.asin import path_asin
from plugin.matching.candidates import insert_key_runs, refresh_asin_keys, store_key_sets, store_keys
from plugin.models import LibraryItem, table
from plugin.plex import AlbumRecord, AlbumTracks, ListedAlbum, TrackRecord
from plugin.prepare import (MAX_TEXT, ROW_COLUMNS, PreparedRow, Skip, album_row, prepared_as_row, prepared_keys,
                            skip_reason)

ITEMS = table(LibraryItem)
# What a first load into an empty mirror builds after the rows instead of row by row: the
# mirror's secondary indexes, whose keys arrive in random order. Not the look-up keys' index by
# item: a first load adds its entries in id order, at the end of the index, which costs less
# than building it afresh once the rows are in (55 ms of 100,000 albums' 200 ms wait).
DEFERRED_INDEXES = tuple(index for index in sorted(ITEMS.indexes, key=str) if not index.unique)
INSERT_COLUMNS = (*ROW_COLUMNS, "first_seen_at", "last_seen_at")
BATCH = 1000


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
        self._ready: list[tuple[PreparedRow, int | None]] = []   # rows a listing child built, with their id
        self._sql: str | None = None
        self._new: set[str] = set()           # guids not in the mirror before: library.added
        self._deferred: list[Index] = []      # indexes dropped for a first load, built again by finish()
        self._next_id: int | None = None      # the id the next inserted row takes, when that is known
        # the ids of the rows written so far, while each flush knew them (a first load): None once one did not
        self._written_ids: list[int] | None = []
        self._targets: list[Any] | None = None   # who hears of added albums: looked up once per write

    def load_all(self, *, defer_indexes: bool = False) -> None:
        """Load (id, hash) of every row: one query instead of one per album. With
        ``defer_indexes``, a load into an empty SQLite mirror builds its indexes in ``finish``.
        Not on PostgreSQL: a dropped index locks its table until the commit, so every reader
        (request creation's look-up, the library API) would wait for the first scan's album phase."""
        # The driver's own cursor and one fetchall: SQLAlchemy's rows would cost 0.2 s of a re-scan
        # of 100,000 albums that changed nothing, three times the query's own time.
        dbapi = self.conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(f"SELECT id, guid, content_hash FROM {ITEMS.name}")
            rows = cursor.fetchall()
        finally:
            cursor.close()
        self._existing = {g: (i, h) for i, g, h in rows}
        if defer_indexes and not rows and self.conn.dialect.name == "sqlite":
            self._defer_indexes()

    def _defer_indexes(self) -> None:
        """A first load into an empty mirror: drop the secondary indexes (not the guid's, which
        the upsert needs) and build each once in ``finish``, which costs a fraction of keeping
        them up to date row by row. Inside the write's transaction, so a failure puts them
        back with everything else. SQLite only (WAL readers keep their snapshot meanwhile)."""
        conn = self.conn
        dbapi = conn.connection.dbapi_connection
        # sqlite3 opens its transaction only before the first INSERT: open it now, so the DDL is part of it
        if dbapi is not None and not dbapi.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            # The write lock is held from here on: when the mirror is still empty, every row
            # this load inserts takes the next rowid (SQLite's rule without AUTOINCREMENT),
            # so the new rows' ids need not be read back by guid.
            if conn.exec_driver_sql(f"SELECT max(id) FROM {ITEMS.name}").scalar() is None:
                self._next_id = 1
        for index in DEFERRED_INDEXES:
            index.drop(conn, checkfirst=True)
            self._deferred.append(index)

    def _lookup(self, guid: str) -> tuple[int, str] | None:
        if self._existing is None:
            found = self.conn.execute(select(ITEMS.c.id, ITEMS.c.content_hash).where(ITEMS.c.guid == guid)).first()
            return (found[0], found[1]) if found else None
        return self._existing.get(guid)

    def add(self, album: AlbumRecord | ListedAlbum) -> None:
        """One album, mapped here (``album_row``)."""
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
        self._rows.append(row)
        self.written.append(guid)
        if len(self._rows) + len(self._ready) >= BATCH:
            self.flush()

    def add_prepared(self, rows: Iterable[PreparedRow]) -> None:
        """Albums a listing child process already mapped to rows (``plugin.prepare``). A first
        scan hands every album of the library to this loop, so what it looks up is bound once."""
        seen, lookup, counts = self.seen, self._lookup, self.counts
        ready_rows, written, new = self._ready, self.written, self._new
        for ready in rows:
            guid = ready[0]
            if guid in seen:
                counts.skip("duplicate_guid")
                continue
            seen.add(guid)
            known = lookup(guid)
            if known is None:
                counts.new += 1
                new.add(guid)
                ready_rows.append((ready, None))
            elif known[1] == ready[1][-1]:      # content_hash is the last column
                counts.unchanged += 1
                continue
            else:
                counts.updated += 1
                ready_rows.append((ready, known[0]))
            written.append(guid)
            if len(ready_rows) + len(self._rows) >= BATCH:
                self.flush()
                ready_rows = self._ready

    def flush(self) -> None:
        """Write the pending rows through the driver's executemany with values already in its
        types: the ORM's per-row parameter processing would cost more than the write itself."""
        if not self._rows and not self._ready:
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
        stamps = (now, now)
        values.extend(row_values + stamps for (_guid, row_values, _keys), _id in self._ready)
        self.conn.exec_driver_sql(self._sql, values)
        # the matcher's look-up keys, in the same transaction
        store_keys(self.conn, self._rows)
        ids = self._inserted_ids(len(values)) if not self._rows else None
        if ids is not None:       # rows new to an empty mirror, which have no keys to replace
            if self._written_ids is not None:
                self._written_ids.extend(ids)
            insert_key_runs(self.conn, ids.start, [keys for (_guid, _values, keys), _none in self._ready])
        else:
            self._written_ids = None
            store_key_sets(self.conn, [(item_id, ready[0], prepared_keys(ready)) for ready, item_id in self._ready])
        if self._targets is None:
            self._targets = outbox.subscribers(self.conn, "library.added")
        if self._targets:       # the added rows are mapped only for someone to hear of them
            added = [r for r in self._rows if r["guid"] in self._new]
            added.extend(prepared_as_row(row_values) for (guid, row_values, _keys), item_id in self._ready
                         if item_id is None and guid in self._new)
            outbox.emit_new_rows(self.conn, added, self.now, targets=self._targets)
        self._rows, self._ready = [], []

    def _inserted_ids(self, count: int) -> range | None:
        """The ids of the ``count`` rows just inserted into an empty mirror, in insert order,
        when they are known (``_defer_indexes``) and the table's largest id confirms them."""
        if self._next_id is None:
            return None
        first, self._next_id = self._next_id, None
        last = self.conn.exec_driver_sql(f"SELECT max(id) FROM {ITEMS.name}").scalar()
        if last != first + count - 1:
            return None          # not all of them were new rows: their ids are read back
        self._next_id = last + 1
        return range(first, last + 1)

    def finish(self) -> None:
        """The last pending rows, then the indexes a first load deferred."""
        self.flush()
        while self._deferred:
            self._deferred.pop().create(self.conn)

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

    def written_ids(self) -> list[int]:
        """Ids of the rows this writer inserted or changed (after flush), read back once
        unless every flush knew them."""
        if not self.written:
            return []
        if self._written_ids is not None and len(self._written_ids) == len(self.written):
            return list(self._written_ids)
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
                   tracks: AlbumTracks | Sequence[TrackRecord]) -> dict[str, Any]:
    """Columns that come from an album's tracks: duration, file paths, path ASIN, narrator."""
    if not isinstance(tracks, AlbumTracks):
        tracks = AlbumTracks.of(tracks)
    files = list(tracks.files)
    values: dict[str, Any] = {
        "file_paths": files or None,
        "duration_ms": tracks.duration_ms,
    }
    # Taggers put the narrator in the track artist; Plex shows it as originalTitle when it
    # differs from the album artist.
    narrators = {title for title in tracks.original_titles if title != row_author}
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

    def write(self, rows: Sequence[tuple[int, str | None, str | None, int | None,
                                         AlbumTracks | Sequence[TrackRecord]]],
              first: Collection[int] = ()) -> int:
        """rows: (id, author, asin_source, album updated_at, the album's tracks); ``first``: ids
        of rows that never had details, whose ``asin:`` keys are still those of their album."""
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
        # A path ASIN is a look-up key too. Files without a bracket name none (``path_asin``):
        # a row that had no files before keeps the keys it has.
        refresh_asin_keys(self.conn, [(item_id, files) for item_id, files in files_of
                                      if item_id not in first or any("[" in f for f in files)])
        return len(rows)
