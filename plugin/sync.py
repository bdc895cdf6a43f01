"""The scheduled sources of change: the full scan and the recently-added poll.

Each is a plain function of a Runtime, recorded as a job run. They only say which albums
Plex lists; ``plugin.ingest.apply`` writes, fetches details, matches and transitions, as
it does for webhook and websocket events.
"""
from __future__ import annotations

import logging
import threading
from queue import Full, Queue
from typing import Any, Iterator, TypeVar

from sqlalchemy import func, select

from plugin import ingest, jobs, state
from plugin.listing import Readers, pages_in_children
from plugin.mirror import ITEMS
from plugin.plex import AlbumPage, PlexClient
from plugin.runtime import NotConfigured, Runtime

log = logging.getLogger(__name__)

T_ = TypeVar("T_")
FULL_SCAN, RECENTLY_ADDED = jobs.FULL_SCAN, jobs.RECENTLY_ADDED


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
    state.remember_machine_identifier(runtime, client.server_info().machine_identifier)
    return config, client, sections


def _full_scan(runtime: Runtime) -> dict[str, Any]:
    """Every album of every configured section, then every track detail the mirror lacks.

    The listing and its writes share one transaction: a failure on page 80 of 100 leaves
    the mirror exactly as it was. Stale rows go only after a complete listing that
    returned items and whose size did not change while it was read.
    """
    config, client, sections = _connect(runtime)
    large = [s for s in sections if client.album_count(s) >= config.scan_subprocess_min_albums]
    # The first large section's readers start now: they import while the mirror's fingerprints
    # are read (a re-scan of 100,000 albums reads them for a third of a second).
    readers = Readers() if large else None
    try:
        def pages(known: dict[str, str]) -> Iterator[AlbumPage]:
            return _all_pages(client, sections, config, known, large, readers)

        summary = ingest.apply(runtime, client, ingest.Change(pages=pages, complete=True, sections=sections),
                               details_limit=config.scan_details_limit or None)
    finally:
        if readers is not None:
            readers.close()
    return _ended(dict(summary, sections=sections))


def _all_pages(client: PlexClient, sections: list[str], config: Any, known: dict[str, str], large: list[str],
               readers: Readers | None) -> Iterator[AlbumPage]:
    """The album pages of every section; ``large`` sections are read by child processes that
    set aside albums whose fingerprint (``known``: guid -> fingerprint) matches the mirror
    (``readers`` for the first of them, started already)."""
    for section in sections:
        if section in large:
            first = readers if readers is not None and not readers.used else None
            yield from pages_in_children(client, section, config.scan_page_size, known, first)
        else:
            yield from prefetched(client.iter_album_pages(section, page_size=config.scan_page_size))


def _recent_poll(runtime: Runtime) -> dict[str, Any]:
    """Albums added since the newest one already mirrored, less an overlap window.

    Pages sorted by addedAt (newest first) are read until an album is older than the
    cutoff, so a burst of any size is caught in one run.
    """
    config, client, sections = _connect(runtime)
    overlap = int(config.recent_overlap_minutes * 60)
    with runtime.engine.connect() as conn:
        newest = conn.execute(select(func.max(ITEMS.c.added_at)).where(ITEMS.c.section_key.in_(sections))).scalar()
    cutoff = None if newest is None else int(newest) - overlap

    def recent_pages() -> Iterator[AlbumPage]:
        for section in sections:
            for page in client.iter_album_pages(section, page_size=min(config.scan_page_size, 200),
                                                sort="addedAt:desc", added_since=cutoff):
                recent = [a for a in page.albums if cutoff is None or (a.added_at or 0) >= cutoff]
                yield AlbumPage(page.offset, page.total_size, recent, cleaned=page.cleaned)
                if len(recent) < len(page.albums):
                    break          # older than the cutoff: the rest of the listing is too

    summary = ingest.apply(runtime, client, ingest.Change(pages=recent_pages(), sections=sections))
    return _ended(dict(summary, sections=sections, cutoff=cutoff))


def _ended(summary: dict[str, Any]) -> dict[str, Any]:
    """A run whose details stopped because Plex went away ends as failed, saying what it did."""
    details = summary.get("details") or {}
    if details.get("error_class"):
        raise jobs.JobFailed(details["error_class"], f"track details stopped: {details.get('error')}", summary)
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
