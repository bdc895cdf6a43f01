"""Track details for the albums that need them: file paths, duration, narrator, path ASIN.

Plex keeps these on tracks, not albums, and offers two ways to read them:

- one ``/library/metadata/{album}/children`` request per album: cheap for a handful of
  albums (an event, a poll, a re-scan that found a few changes);
- the section's whole track listing (``/library/sections/{id}/all?type=10``), paged like the
  album listing, each track naming its album (``parentRatingKey``): one pass for the whole
  section, which is what a first scan of a large library needs (``bench/bench_scan.py``
  measures both side by side).

``fetch`` picks per section by how many of its albums need details. Details are written
in batches, each its own transaction, so a failure halfway keeps what was fetched and
leaves the rest pending for the next run; an album's details are written whole or not at
all.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import or_, select

from plugin import jobs
from plugin.mirror import ITEMS, DetailsWriter
from plugin.listing import track_pages_in_children
from plugin.plex import AlbumTracks, PlexClient, PlexError, PlexNotFound, TrackGroupPage
from plugin.runtime import Runtime

log = logging.getLogger(__name__)

CHILDREN_WORKERS = 4
BATCH = 500
CHILDREN_BATCH = 100          # albums fetched between two looks at whether the worker is stopping
TRACK_PAGE_SIZE = 2000
TRACK_READERS = 1             # child processes reading a large section's track listing
# The track listing costs about as much as reading this share of a section album by album.
LISTING_MIN_ALBUMS = 200
LISTING_MIN_SHARE = 0.05
# After a truncated track listing, at most this many albums are fetched one by one.
CHILDREN_FALLBACK_MAX = 2000

_STALE = or_(ITEMS.c.details_updated_at.is_(None), ITEMS.c.details_updated_at < ITEMS.c.updated_at)


@dataclass
class Result:
    fetched: int = 0
    failed: int = 0
    pending: int = 0
    sources: dict[str, int] = field(default_factory=dict)
    written_ids: list[int] = field(default_factory=list)
    error: PlexError | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fetched": self.fetched, "failed": self.failed, "pending": self.pending,
                               "sources": self.sources}
        if self.error is not None:
            out["error"] = str(self.error)
        if self.notes:
            out["notes"] = self.notes
        return out


class _Todo:
    """Albums waiting for details, and the batch of fetched ones waiting to be written."""

    def __init__(self, runtime: Runtime, rows: Sequence[Any], result: Result,
                 progress: Callable[[int, int], None]):
        self.runtime = runtime
        self.rows = {r.rating_key: r for r in rows}
        self.total = len(rows)
        self.done: set[str] = set()
        self.result = result
        self.progress = progress
        self._batch: list[tuple[Any, AlbumTracks]] = []

    def add(self, rating_key: str, tracks: AlbumTracks) -> None:
        row = self.rows.get(rating_key)
        if row is None or rating_key in self.done:
            return
        self.done.add(rating_key)
        self._batch.append((row, tracks))
        if len(self._batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        with self.runtime.engine.begin() as conn:
            DetailsWriter(conn).write([(r.id, r.author, r.asin_source, r.updated_at, t) for r, t in self._batch],
                                      first={r.id for r, _t in self._batch if r.details_updated_at is None})
        self.result.fetched += len(self._batch)
        self.result.written_ids.extend(r.id for r, _t in self._batch)
        self._batch = []
        self.progress(len(self.done), self.total)

    def missing(self) -> list[Any]:
        return [r for k, r in self.rows.items() if k not in self.done]


def _rows_needing_details(runtime: Runtime, item_ids: Sequence[int] | None, sections: Sequence[str],
                          limit: int | None) -> list[Any]:
    columns = (ITEMS.c.id, ITEMS.c.rating_key, ITEMS.c.section_key, ITEMS.c.author, ITEMS.c.asin_source,
               ITEMS.c.updated_at, ITEMS.c.details_updated_at)
    rows: list[Any] = []
    with runtime.engine.connect() as conn:
        if item_ids is None:
            query = select(*columns).where(_STALE)
            if sections:
                query = query.where(ITEMS.c.section_key.in_(list(sections)))
            # Newest first, sorted after the scan of the table: ordered by the column itself, SQLite
            # would walk the added_at index and look every row up from it, 0.15 s for a re-scan
            # of 100,000 albums that finds none to fetch (a plain scan: 17 ms). One fetch, not one per row.
            rows = list(conn.execute(query.order_by((ITEMS.c.added_at + 0).desc())).all())
        else:
            ids = list(item_ids)
            for start in range(0, len(ids), 500):
                rows.extend(conn.execute(select(*columns).where(_STALE, ITEMS.c.id.in_(ids[start:start + 500]))).all())
    return rows[:limit] if limit is not None else rows


def _section_sizes(runtime: Runtime, sections: Iterable[str]) -> dict[str, int]:
    from sqlalchemy import func
    with runtime.engine.connect() as conn:
        return dict(conn.execute(select(ITEMS.c.section_key, func.count()).where(
            ITEMS.c.section_key.in_(list(sections))).group_by(ITEMS.c.section_key)).all())


def fetch(runtime: Runtime, client: PlexClient, *, item_ids: Sequence[int] | None, sections: Sequence[str] = (),
          limit: int | None = None, progress: Callable[[int, int], None] | None = None) -> Result:
    """Fetch and store details for the given rows (None: every row of ``sections`` whose
    details are missing or older than the album) that need them."""
    result = Result()
    rows = _rows_needing_details(runtime, item_ids, sections, limit)
    if not rows:
        return result
    todo = _Todo(runtime, rows, result, progress or (lambda _d, _t: None))
    by_section: dict[str, int] = {}
    for row in rows:
        by_section[row.section_key] = by_section.get(row.section_key, 0) + 1
    sizes = _section_sizes(runtime, by_section)
    in_children = runtime.config().scan_subprocess_min_albums
    try:
        listed = False
        for section, count in by_section.items():
            if count >= max(LISTING_MIN_ALBUMS, LISTING_MIN_SHARE * sizes.get(section, count)):
                _from_track_listing(_track_pages(client, section, sizes.get(section, count) >= in_children),
                                    section, todo)
                listed = True
        remaining = todo.missing()
        if listed and len(remaining) > CHILDREN_FALLBACK_MAX:
            result.notes.append(f"{len(remaining)} albums were missing from the track listing; "
                                "they are fetched by the next run")
            remaining = remaining[:CHILDREN_FALLBACK_MAX]
        _from_children(client, remaining, todo)
    except PlexError as exc:
        result.error = exc
        log.warning("track details stopped: %s", exc)
    finally:
        todo.flush()
    result.pending = todo.total - len(todo.done)
    return result


def _track_pages(client: PlexClient, section: str, in_children: bool) -> Iterator[TrackGroupPage]:
    """The section's track listing page by page, as runs of one album's tracks: read by child
    processes for a large section (``scan_subprocess_min_albums``, as the album listing), so
    parsing ~5 tracks per album runs on other cores while this process writes."""
    if in_children:
        # one reader: the parse is not what it waits for (the server's answers are), and the
        # album listing's structures are still in memory
        yield from track_pages_in_children(client, section, TRACK_PAGE_SIZE, count=TRACK_READERS)
        return
    offset = 0
    while True:
        page = client.track_page(section, offset, TRACK_PAGE_SIZE)
        yield TrackGroupPage.of(page)
        offset += len(page.tracks)
        if not page.tracks or offset >= page.total_size:
            return


def _from_track_listing(pages: Iterator[TrackGroupPage], section: str, todo: _Todo) -> None:
    """One pass over the section's tracks. Plex lists an album's tracks together; an album
    met again later (not together after all) is left to the per-album fetch."""
    current: str | None = None
    tracks = AlbumTracks()
    seen: set[str] = set()
    split: set[str] = set()
    offset = 0
    total: int | None = None
    for page in _checked(pages):
        if total is None:
            total = page.total_size
        for key, run in page.groups:
            if key != current:
                if current is not None and current not in split:
                    todo.add(current, tracks)
                if key in seen:
                    split.add(key)
                seen.add(key)
                current, tracks = key, AlbumTracks()
            if key in todo.rows:
                tracks = tracks.merge(run)
        offset += page.count
    complete = total is not None and offset >= total
    if current is not None and current not in split and complete:
        todo.add(current, tracks)          # a truncated listing may have cut the last album short
    source = "track_listing" if complete else "track_listing_truncated"
    todo.result.sources[source] = todo.result.sources.get(source, 0) + 1
    for key in split:
        todo.done.discard(key)
    if complete:
        # Albums without a single track in a complete listing have no details to wait for.
        for key in list(todo.rows):
            if key not in seen and key not in todo.done and todo.rows[key].section_key == section:
                todo.add(key, AlbumTracks())
    else:
        todo.result.notes.append(f"the track listing of section {section} ended at {offset} of {total} tracks")


def _checked(pages: Iterator[TrackGroupPage]) -> Iterator[TrackGroupPage]:
    """The pages, with a look before each at whether the worker is stopping."""
    while True:
        jobs.check_stop()
        try:
            yield next(pages)
        except StopIteration:
            return


def _from_children(client: PlexClient, rows: Sequence[Any], todo: _Todo) -> None:
    """Per-album ``/children``, a few at a time. One album failing does not stop the others;
    Plex going away does."""
    if not rows:
        return
    todo.result.sources["children"] = todo.result.sources.get("children", 0) + len(rows)

    def one(row: Any) -> tuple[Any, AlbumTracks | PlexError]:
        try:
            return row, AlbumTracks.of(client.tracks(row.rating_key))
        except PlexError as exc:
            return row, exc

    with ThreadPoolExecutor(max_workers=CHILDREN_WORKERS) as pool:
        for start in range(0, len(rows), CHILDREN_BATCH):
            jobs.check_stop()
            for row, tracks in pool.map(one, rows[start:start + CHILDREN_BATCH]):
                if isinstance(tracks, PlexNotFound):
                    todo.result.failed += 1          # gone since it was listed: the next scan removes it
                elif isinstance(tracks, PlexError):
                    todo.result.failed += 1
                    if tracks.retryable or tracks.code == "plex_unauthorized":
                        raise tracks
                else:
                    todo.add(row.rating_key, tracks)
