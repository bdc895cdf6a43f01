"""Reading a large section's album listing and track listing in child processes.

Parsing 100,000 albums of XML is the heavy half of a full scan, and Python runs one thread
at a time: child processes parse pages on the other cores (each child takes every n-th
page) while this process writes the pages already read. The children also set aside
albums whose fingerprint matches the mirror, so a re-scan sends back little but guids,
and map the others to the rows and look-up keys the parent writes (``plugin.prepare``).
The track listing (a first scan's details, ~5 tracks per album) is read the same way,
each page sent back as one summary per album (``TrackGroupPage``).

Children are started as ``python -m plugin.listing`` (not multiprocessing's spawn, which
re-imports the caller's main module): the job arrives pickled on stdin, pages go back as
framed messages on stdout.
"""
from __future__ import annotations

import fcntl
import os
import pickle
import subprocess
import sys
from multiprocessing.connection import Connection, wait
from typing import Any, Iterator, cast

from plugin import plex
from plugin.plex import (AlbumPage, AlbumRecord, ListedAlbum, PlexBadResponse, PlexClient, PlexError, TrackGroupPage,
                         album_fingerprint)
from plugin.prepare import PreparedRow, prepare_row

# How long the children may all stay silent before the scan gives up on them.
SILENCE_S = 300.0
# A page of 1,000 albums is ~370 KB pickled: a pipe of this size holds two of them, so a child
# goes on to its next page while the writer is busy instead of waiting for it to read.
PIPE_BYTES = 1 << 20


def reader_count() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _album_pages(args: dict[str, Any], section: str, page_size: int, known: dict[str, str],
                 first: int, stride: int) -> Iterator[AlbumPage]:
    """A child's share of the album listing: every ``stride``-th page from ``first`` on,
    unchanged albums set aside."""
    client = PlexClient(**args)
    index = first
    while True:
        page = client.album_page(section, index * page_size, page_size)
        unchanged: list[str] = []
        records = []
        prepared: list[PreparedRow] = []
        # ListedAlbum's own methods spelled out (a first scan runs this for every album of the library)
        for attrs, guids, section_key in cast(list[ListedAlbum], page.albums):  # the stream parser lists raw albums
            guid = attrs.get("guid")
            if guid:
                digest = album_fingerprint(attrs, guids)
                if known.get(guid) == digest:
                    unchanged.append(guid)
                    continue
                record = AlbumRecord.from_attrs(attrs, guids, section_key, digest)
                ready = prepare_row(record)
                if ready is not None:
                    prepared.append(ready)
                    continue
                records.append(record)      # the writer counts why it cannot be mirrored
            else:
                records.append(AlbumRecord.from_attrs(attrs, guids, section_key))
        yield AlbumPage(page.offset, page.total_size, records, unchanged, page.cleaned, prepared)
        index += stride
        if not page.albums or index * page_size >= page.total_size:
            break


def _track_pages(args: dict[str, Any], section: str, page_size: int, first: int,
                 stride: int) -> Iterator[TrackGroupPage]:
    """A child's share of the track listing: every ``stride``-th page from ``first`` on, as
    runs of one album's tracks."""
    client = PlexClient(**args)
    index = first
    while True:
        offset = index * page_size
        page = client.track_page(section, offset, page_size)
        summary = TrackGroupPage.of(page)
        summary.offset = offset          # the parent orders pages by the offset asked for
        yield summary
        index += stride
        if not page.tracks or index * page_size >= page.total_size:
            break


def _send_all(conn: Connection, pages: Iterator[Any]) -> None:
    """Send every page a child reads, then None; a failure goes to the parent instead, as
    ("error", kind, message, status), and ends the child's work."""
    try:
        for page in pages:
            conn.send(page)
        conn.send(None)
    except PlexError as exc:
        conn.send(("error", type(exc).__name__, str(exc), exc.status))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        conn.send(("error", "PlexBadResponse", f"listing process failed: {type(exc).__name__}: {exc}", None))


class Readers:
    """Listing child processes, started before their job is known: they import while the
    parent does its own preparation (a re-scan reads the mirror's 100,000 fingerprints
    meanwhile), then read one listing (``run``). Close them when done (``close``), whether
    or not they ran."""

    def __init__(self, count: int | None = None) -> None:
        self.children: list[tuple[subprocess.Popen, Connection]] = []
        self.used = False
        try:
            # every child is started before any is given its job: a child reads its job only once
            # its imports are done, so they import side by side instead of one after the other
            for _ in range(count or reader_count()):
                process = subprocess.Popen([sys.executable, "-m", "plugin.listing"], stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE)
                assert process.stdin is not None and process.stdout is not None
                _widen_pipe(process.stdout.fileno())
                self.children.append((process, Connection(os.dup(process.stdout.fileno()), writable=False)))
                process.stdout.close()
        except BaseException:
            self.close()
            raise

    def run(self, job: tuple[str, tuple], section: str) -> Iterator[Any]:
        """The messages the children send for ``job``, in the order they arrive. Failures arrive
        as the PlexError kinds the client raises; the first ends the listing."""
        assert not self.used, "a set of readers reads one listing"
        self.used = True
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            for first, (process, _conn) in enumerate(self.children):
                assert process.stdin is not None
                process.stdin.write(payload)
                pickle.dump((first, len(self.children)), process.stdin)
                process.stdin.close()
            open_conns = [conn for _process, conn in self.children]
            while open_conns:
                ready = cast(list[Connection], wait(open_conns, timeout=SILENCE_S))
                if not ready:
                    raise PlexBadResponse(f"the listing of section {section} stalled")
                for conn in ready:
                    try:
                        message = conn.recv()
                    except EOFError:
                        raise PlexBadResponse(f"a process listing section {section} ended unexpectedly") from None
                    if message is None:
                        open_conns.remove(conn)
                    elif isinstance(message, tuple):
                        _tag, kind, text, status = message
                        raise getattr(plex, kind, PlexBadResponse)(text, status=status)
                    else:
                        yield message
        finally:
            self.close()

    def close(self) -> None:
        for process, conn in self.children:
            conn.close()
            if process.stdin is not None and not process.stdin.closed:
                try:
                    process.stdin.close()
                except OSError:
                    pass
            if process.poll() is None:
                process.terminate()
            process.wait(10)
        self.children = []


def pages_in_children(client: PlexClient, section: str, page_size: int, known: dict[str, str],
                      readers: Readers | None = None) -> Iterator[AlbumPage]:
    """Every album page of a section, read by child processes (``readers``, started already,
    or new ones), in the order they arrive.

    Failures arrive as the same PlexError kinds the client raises; the first one ends the
    listing and the other children with it.
    """
    job = ("albums", (client.clone_args(), section, page_size, known))
    return cast(Iterator[AlbumPage], (readers or Readers()).run(job, section))


def track_pages_in_children(client: PlexClient, section: str, page_size: int,
                            count: int | None = None) -> Iterator[TrackGroupPage]:
    """Every page of a section's track listing, read by ``count`` child processes, in listing order
    (``offset``). A page that never arrives (one came back short of its size, so the next
    one does not start where it ended) ends the listing there, as if it had been cut."""
    job = ("tracks", (client.clone_args(), section, page_size))
    waiting: dict[int, TrackGroupPage] = {}
    expected = 0
    for page in cast(Iterator[TrackGroupPage], Readers(count).run(job, section)):
        waiting[page.offset] = page
        while expected in waiting:
            ready = waiting.pop(expected)
            yield ready
            if not ready.count:
                return
            expected += ready.count


def _widen_pipe(fd: int) -> None:
    """Give a child's pipe room for ``PIPE_BYTES`` where the system allows it (Linux; an
    unprivileged process up to ``/proc/sys/fs/pipe-max-size``); elsewhere it stays as it is."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        try:
            fcntl.fcntl(fd, setsize, PIPE_BYTES)
        except OSError:
            pass


def _main() -> None:
    kind, job = pickle.load(sys.stdin.buffer)
    first, stride = pickle.load(sys.stdin.buffer)
    conn = Connection(os.dup(sys.stdout.fileno()), readable=False)
    sys.stdout = sys.stderr          # nothing else may write into the message stream
    try:
        if kind == "tracks":
            args, section, page_size = job
            _send_all(conn, _track_pages(args, section, page_size, first, stride))
        else:
            args, section, page_size, known = job
            _send_all(conn, _album_pages(args, section, page_size, known, first, stride))
    finally:
        conn.close()


if __name__ == "__main__":
    _main()
