"""The one path every change from Plex takes into plexbooks.

The sources of change — the full scan, the recently-added poll, webhook events, websocket
timeline entries and deletions — only say *what* changed (a ``Change``). ``apply`` does
the rest, the same way for all of them:

1. albums in: listing pages as they stream, or items fetched by rating key (an album, a
   track's album, an artist's albums);
2. mirror upsert by guid (``plugin.mirror``), in one transaction with the removals: stale
   rows after a complete listing, deleted albums; requests of removed books go back to
   ``downloaded``. The transaction commits before anything slow follows, so new books are
   visible (and matchable by a guid ASIN) at once;
3. track details (file paths, duration, narrator, path ASIN) for what is new or changed,
   from the cheapest source Plex offers for the amount (``plugin.details``);
4. matching of exactly the rows that changed against the open requests, and their
   transitions (``plugin.lifecycle``).
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from plugin import db, details, jobs, lifecycle
from plugin.mirror import ITEMS, MirrorWriter, remove_rows
from plugin.models import utcnow
from plugin.plex import AlbumPage, AlbumRecord, PlexClient, PlexError
from plugin.runtime import Runtime

log = logging.getLogger(__name__)

# Where a source's progress goes: the running job's progress (``jobs.report_progress``).
Progress = Callable[..., None]


class NotReady(Exception):
    """Plex knows the item but has not finished processing its metadata yet."""


@dataclass(frozen=True)
class ItemRef:
    """An item a real-time source named: an album, a track or an artist."""

    type: str
    rating_key: str
    parent_rating_key: str | None = None


@dataclass
class Change:
    """What a source saw change in Plex.

    ``pages`` are album listing pages (already filtered by the source, e.g. the poll's
    cutoff), or a function of the mirror's fingerprints (guid -> fingerprint) returning
    them, for listers that skip unchanged albums themselves; with ``complete`` they are the
    whole listing of ``sections`` and rows not in them are stale. ``refs`` are items to fetch. ``deleted`` are album rating keys Plex
    removed.
    """

    pages: Iterable[AlbumPage] | Callable[[dict[str, str]], Iterable[AlbumPage]] = ()
    refs: Sequence[ItemRef] = ()
    deleted: Sequence[str] = ()
    complete: bool = False
    sections: Sequence[str] = ()


@dataclass
class _Listing:
    """What the pages of a listing told about themselves."""

    total: int = 0
    pages: int = 0
    cleaned_pages: int = 0
    consistent: bool = True
    first_total: int | None = None
    fetch_s: float = 0.0

    def see(self, page: AlbumPage) -> None:
        self.pages += 1
        self.cleaned_pages += bool(page.cleaned)
        self.total += len(page.albums) + len(page.unchanged) + len(page.prepared)
        if self.first_total is None:
            self.first_total = page.total_size
        elif page.total_size != self.first_total:
            self.consistent = False


@dataclass
class _Written:
    ids: list[int] = field(default_factory=list)
    seen_ids: list[int] = field(default_factory=list)
    removed: int = 0
    requests_back: int = 0
    removal_note: str | None = None
    # what the write left running (a full scan's checkpoint): joined before the change is done
    threads: list[threading.Thread] = field(default_factory=list)


@contextmanager
def _transaction(runtime: Runtime, complete: bool) -> Iterator[tuple[Connection, list[threading.Thread]]]:
    """A full scan's write is a bulk write (``plugin.db.bulk_write``); others are plain."""
    if complete:
        with db.bulk_write(runtime.engine) as (conn, threads):
            yield conn, threads
    else:
        with runtime.engine.begin() as conn:
            yield conn, []


def fetch_albums(client: PlexClient, refs: Sequence[ItemRef], sections: Iterable[str]
                 ) -> tuple[list[AlbumRecord], list[str], dict[int, Exception]]:
    """The albums real-time items stand for; the keys of albums outside the configured
    sections (ignored); and, by position in ``refs``, the items that could not be fetched
    (``NotReady`` while Plex is still processing one, or the PlexError). One item failing
    does not hold up the others."""
    wanted = set(sections)
    albums: list[AlbumRecord] = []
    ignored: list[str] = []
    failures: dict[int, Exception] = {}
    fetched: set[str] = set()
    for position, ref in enumerate(refs):
        try:
            if ref.type == "album":
                keys = [ref.rating_key]
            elif ref.type == "track":
                parent = ref.parent_rating_key or client.metadata(ref.rating_key).parent_rating_key
                if not parent:
                    raise NotReady(f"track {ref.rating_key} has no album yet")
                keys = [parent]
            elif ref.type == "artist":
                keys = [a.rating_key for a in client.artist_albums(ref.rating_key)]
            else:
                continue
            for key in keys:
                if key in fetched:
                    continue
                album = client.album(key)
                if not album.guid or not album.title:
                    raise NotReady(f"Plex is still processing album {key}")
                fetched.add(key)
                if wanted and album.section_key not in wanted:
                    ignored.append(key)
                else:
                    albums.append(album)
        except (PlexError, NotReady) as exc:
            failures[position] = exc
    return albums, ignored, failures


def _write(runtime: Runtime, change: Change, albums: list[AlbumRecord], now: datetime,
           listing: _Listing, report: Progress) -> tuple[MirrorWriter, _Written]:
    """Step 2: upserts and removals, all or nothing."""
    out = _Written()
    with _transaction(runtime, change.complete) as (conn, out.threads):
        if conn.dialect.name == "sqlite" and change.complete:
            # A 32 MB page cache keeps a 100,000-album transaction from spilling page by page.
            conn.exec_driver_sql("PRAGMA cache_size=-32000")
        writer = MirrorWriter(conn, now)
        if change.complete:
            writer.load_all(defer_indexes=True)
        pages = change.pages(writer.fingerprints() if change.complete else {}) if callable(change.pages) \
            else change.pages
        for page in _timed(pages, listing):
            jobs.check_stop()
            listing.see(page)
            report(phase="listing", albums_listed=listing.total,
                   albums_total=max(listing.total, listing.first_total or 0))
            writer.add_unchanged(page.unchanged)
            writer.add_prepared(page.prepared)
            writer.add_all(page.albums)
        writer.add_all(albums)
        writer.finish()
        removed_ids: list[int] = []
        if change.complete:
            if listing.total == 0:
                out.removal_note = "Plex listed no albums; the mirror was left as it is"
            elif not listing.consistent:
                out.removal_note = "the library changed while it was listed; stale rows are kept until the next scan"
            else:
                removed_ids = writer.stale_ids()
        if change.deleted:
            removed_ids += [i for (i,) in conn.execute(select(ITEMS.c.id)
                                                       .where(ITEMS.c.rating_key.in_(list(change.deleted))))]
        if removed_ids:
            out.requests_back = lifecycle.on_items_removed(conn, removed_ids, now)
            out.removed = remove_rows(conn, removed_ids)
        out.ids = writer.written_ids()
        if not change.complete:
            # A poll or an event names few albums: all of them are looked at again, changed or
            # not, so an album a crashed run committed but never finished still gets its
            # details and its match.
            out.seen_ids = writer.seen_ids()
    return writer, out


def _timed(pages: Iterable[AlbumPage], listing: _Listing) -> Iterable[AlbumPage]:
    """The pages, with the time spent waiting for Plex added up."""
    iterator = iter(pages)
    while True:
        t0 = time.perf_counter()
        try:
            page = next(iterator)
        except StopIteration:
            listing.fetch_s += time.perf_counter() - t0
            return
        listing.fetch_s += time.perf_counter() - t0
        yield page


def apply(runtime: Runtime, client: PlexClient, change: Change, *, now: datetime | None = None,
          progress: Progress | None = None, details_limit: int | None = None) -> dict[str, Any]:
    """Bring one change into the mirror and the requests; returns what happened.

    ``details_limit`` bounds the albums whose tracks are fetched (None: every album that
    needs them). Items of ``change.refs`` that could not be fetched are left out and named,
    by position, in ``summary["failed_refs"]`` (exceptions, for the caller to retry). Plex failing while the albums are listed leaves the mirror as it was;
    failing while details are fetched keeps the committed albums and reports the rest as
    pending, to be fetched by the next run.
    """
    now = now or utcnow()
    report = progress or jobs.report_progress
    albums: list[AlbumRecord] = []
    ignored: list[str] = []
    failures: dict[int, Exception] = {}
    if change.refs:
        albums, ignored, failures = fetch_albums(client, change.refs, change.sections)
    listing = _Listing()
    t0 = time.perf_counter()
    writer, written = _write(runtime, change, albums, now, listing, report)
    t1 = time.perf_counter()
    counts = writer.counts
    del writer              # its guids (100,000 in a large first scan) are not needed by the details
    summary: dict[str, Any] = {
        "total": listing.total + len(albums), "new": counts.new, "updated": counts.updated,
        "unchanged": counts.unchanged, "removed": written.removed, "skipped": counts.skipped,
        "skipped_reasons": counts.skipped_reasons,
    }
    if listing.pages:
        summary.update(pages=listing.pages, cleaned_pages=listing.cleaned_pages, fetch_s=round(listing.fetch_s, 3))
    if ignored:
        summary["ignored"] = ignored
    if failures:
        summary["failed_refs"] = failures
    if written.removal_note:
        summary["removal_note"] = written.removal_note
    if written.requests_back:
        summary["requests_back_to_downloaded"] = written.requests_back
    listed = summary["total"]

    def details_progress(done: int, total: int) -> None:
        report(phase="details", albums_listed=listed, albums_total=listed, details_fetched=done,
               details_total=total, final=done == total)

    scope = None if change.complete else written.seen_ids
    fetched = details.fetch(runtime, client, item_ids=scope, sections=change.sections, limit=details_limit,
                            progress=details_progress)
    summary["details"] = fetched.summary()
    t2 = time.perf_counter()
    changed = sorted(set(written.ids) | set(written.seen_ids) | set(fetched.written_ids))
    # The first listing a process runs (a worker's start-up scan or poll) matches everything once.
    summary["matching"] = lifecycle.reconcile(runtime, now=now, item_ids=changed,
                                              full=bool(listing.pages) and lifecycle.needs_full_reconcile())
    summary["phases_s"] = {"albums": round(t1 - t0, 3), "details": round(t2 - t1, 3),
                           "matching": round(time.perf_counter() - t2, 3)}
    if fetched.error is not None:
        summary["details"]["error_class"] = fetched.error.code
    # a full scan's checkpoint ran beside the details; on an error it finishes on its own
    db.finish_bulk_write(written.threads)
    return summary
