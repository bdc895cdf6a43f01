"""The jobs that keep the mirror in step with Plex: full scan, recently-added poll and
track details. Each is a plain function of a Runtime, recorded as a job run.

Every source of change (full scan, poll, webhook, websocket) ends in the same place:
``MirrorWriter`` for the rows, then ``lifecycle.reconcile`` for the requests they affect.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from queue import Full, Queue
from typing import Any, Iterator, TypeVar

from sqlalchemy import func, or_, select, update

from plugin import jobs, lifecycle
from plugin.listing import pages_in_children
from plugin.mirror import MirrorWriter, T, details_values, remove_rows
from plugin.models import utcnow
from plugin.plex_client import PlexClient, PlexError
from plugin.runtime import NotConfigured, Runtime

log = logging.getLogger(__name__)

T_ = TypeVar("T_")
FULL_SCAN = "full_scan"
RECENTLY_ADDED = "recently_added"
DETAILS_WORKERS = 4


def full_scan(runtime: Runtime, *, trigger: str = "manual", run_id: int | None = None) -> dict[str, Any]:
    return jobs.run_job(runtime, FULL_SCAN, _full_scan, trigger=trigger, run_id=run_id)


def recent_poll(runtime: Runtime, *, trigger: str = "manual", run_id: int | None = None) -> dict[str, Any]:
    return jobs.run_job(runtime, RECENTLY_ADDED, _recent_poll, trigger=trigger, run_id=run_id)


def _connect(runtime: Runtime) -> tuple[Any, PlexClient, list[str]]:
    config = runtime.config()
    missing = {name: "not configured" for name in ("plex_url", "plex_token", "plex_library") if not config[name]}
    if missing:
        raise NotConfigured(missing)
    sections = list(config.plex_library)
    client = runtime.plex(config)
    runtime.remember_machine_identifier(client.server_info().machine_identifier)
    return config, client, sections


def _full_scan(runtime: Runtime) -> dict[str, Any]:
    """Fetch every album of every configured section and mirror it, all or nothing.

    The listing and the writes share one transaction: a failure on page 80 of 100 leaves
    the mirror exactly as it was. Stale rows go only after a complete listing that returned
    items and whose size did not change while it was read.
    """
    config, client, sections = _connect(runtime)
    fetch_s = 0.0
    total = 0
    expected = 0
    consistent = True
    now = utcnow()
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # A 32 MB page cache keeps a 100,000-album transaction from spilling page by page.
            conn.exec_driver_sql("PRAGMA cache_size=-32000")
        writer = MirrorWriter(conn, now)
        writer.load_all()
        for section in sections:
            first_total = None
            t0 = time.perf_counter()
            count = client.album_count(section)
            expected += count
            if count >= config.scan_subprocess_min_albums:
                pages = pages_in_children(client, section, config.scan_page_size, writer.fingerprints())
            else:
                pages = prefetched(client.iter_album_pages(section, page_size=config.scan_page_size))
            for page in pages:
                fetch_s += time.perf_counter() - t0
                if first_total is None:
                    first_total = page.total_size
                elif page.total_size != first_total:
                    consistent = False
                total += len(page.albums) + len(page.unchanged)
                writer.add_unchanged(page.unchanged)
                writer.add_all(page.albums)
                jobs.report_progress(phase="listing", albums_listed=total, albums_total=expected)
                t0 = time.perf_counter()
        writer.flush()
        removed_ids: list[int] = []
        removal_note = None
        if total == 0:
            removal_note = "Plex listed no albums; the mirror was left as it is"
        elif not consistent:
            removal_note = "the library changed while it was listed; stale rows are kept until the next scan"
        else:
            removed_ids = writer.stale_ids()
            lifecycle.on_items_removed(conn, removed_ids, now)
            remove_rows(conn, removed_ids)
        counts = writer.counts
    summary: dict[str, Any] = {
        "sections": sections, "total": total, "new": counts.new, "updated": counts.updated,
        "unchanged": counts.unchanged, "removed": len(removed_ids), "skipped": counts.skipped,
        "skipped_reasons": counts.skipped_reasons, "fetch_s": round(fetch_s, 3),
    }
    if removal_note:
        summary["removal_note"] = removal_note
    summary["details"] = fetch_details(runtime, client, limit=config.scan_details_limit)
    summary["matching"] = lifecycle.reconcile(runtime, now=now)
    return summary


def _recent_poll(runtime: Runtime) -> dict[str, Any]:
    """Albums added since the newest one already mirrored, less an overlap window.

    Pages sorted by addedAt (newest first) are read until an album is older than the
    cutoff, so a burst of any size is caught in one run.
    """
    config, client, sections = _connect(runtime)
    overlap = int(config.recent_overlap_minutes * 60)
    now = utcnow()
    total = 0
    with runtime.engine.begin() as conn:
        newest = conn.execute(select(func.max(T.c.added_at)).where(T.c.section_key.in_(sections))).scalar()
        cutoff = None if newest is None else int(newest) - overlap
        writer = MirrorWriter(conn, now)
        for section in sections:
            for page in client.iter_album_pages(section, page_size=min(config.scan_page_size, 200),
                                                sort="addedAt:desc", added_since=cutoff):
                recent = [a for a in page.albums if cutoff is None or (a.added_at or 0) >= cutoff]
                total += len(recent)
                writer.add_all(recent)
                if len(recent) < len(page.albums):
                    break          # older than the cutoff: the rest of the listing is too
        writer.flush()
        counts = writer.counts
        touched = writer.new_ids() + counts.changed_ids
    summary: dict[str, Any] = {
        "sections": sections, "cutoff": cutoff, "total": total, "new": counts.new, "updated": counts.updated,
        "unchanged": counts.unchanged, "removed": 0, "skipped": counts.skipped,
        "skipped_reasons": counts.skipped_reasons,
    }
    summary["details"] = fetch_details(runtime, client, limit=config.scan_details_limit)
    summary["matching"] = lifecycle.reconcile(runtime, now=now, item_ids=touched)
    return summary


def prefetched(pages: Iterator[T_], depth: int = 2) -> Iterator[T_]:
    """Fetch (and parse) the next pages on a thread while this one is written: the database
    write releases the GIL, so the two overlap instead of adding up."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        queue.put(page, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            queue.put(exc)

    thread = threading.Thread(target=produce, name="scan-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(5)


def fetch_details(runtime: Runtime, client: PlexClient, *, limit: int,
                  item_ids: list[int] | None = None) -> dict[str, Any]:
    """Fetch tracks (file paths, durations, narrator, path ASIN) for albums that lack them.

    Bounded by ``limit`` per run; what is left is reported as pending and picked up by
    the next run. One album failing does not stop the others; Plex going away does.
    """
    if limit <= 0 and item_ids is None:
        return {"fetched": 0, "failed": 0, "pending": None}
    stale = or_(T.c.details_updated_at.is_(None), T.c.details_updated_at < T.c.updated_at)
    with runtime.engine.connect() as conn:
        query = select(T.c.id, T.c.rating_key, T.c.author, T.c.asin_source, T.c.updated_at).where(stale)
        if item_ids is not None:
            query = query.where(T.c.id.in_(item_ids))
        todo = conn.execute(query.order_by(T.c.added_at.desc()).limit(max(limit, len(item_ids or [])))).all()
    fetched = failed = 0
    error: PlexError | None = None

    def one(row: Any) -> tuple[Any, Any]:
        try:
            return row, client.tracks(row.rating_key)
        except PlexError as exc:
            return row, exc

    with ThreadPoolExecutor(max_workers=DETAILS_WORKERS) as pool:
        for start in range(0, len(todo), 200):
            results = list(pool.map(one, todo[start:start + 200]))
            with runtime.engine.begin() as conn:
                for row, tracks in results:
                    if isinstance(tracks, PlexError):
                        failed += 1
                        if tracks.retryable or tracks.code == "plex_unauthorized":
                            error = tracks
                        continue
                    values = details_values(row.author, row.asin_source, tracks)
                    values["details_updated_at"] = row.updated_at or 0
                    conn.execute(update(T).where(T.c.id == row.id).values(**values))
                    fetched += 1
            jobs.report_progress(phase="details", albums_listed=None, details_fetched=fetched + failed,
                                 details_total=len(todo))
            if error is not None:
                break
    with runtime.engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(T).where(stale)).scalar()
    out: dict[str, Any] = {"fetched": fetched, "failed": failed, "pending": pending}
    if error is not None:
        out["error"] = str(error)
    return out
