"""A simulated Plex Media Server: answers the library endpoints python-plexapi uses with
the same XML a real server sends (checked against ``fixtures/plex/``), pushes timeline
notifications on ``/:/websockets/notifications`` and posts ``library.new`` webhooks.

``SimulatedPlex`` holds the simulated world (sections, catalogue, faults, request log)
and its lifecycle; the parts live beside it: ``render`` (XML), ``queries`` (filters,
sorting, paging), ``routes`` (the Plex API), ``faults``, ``control`` (the ``/_simulator/``
API, no Plex token needed), ``announcer`` (webhooks and timeline) and ``httpserver``.
"""
from __future__ import annotations

import argparse
import collections
import gc
import hashlib
import signal
import sys
import threading
import time
import uuid
from typing import Any, Iterable, Sequence

from . import folders
from .announcer import Announcer
from .catalogue import (
    REAL_TEXT,
    Album,
    Artist,
    Catalogue,
    Track,
    build_catalogue,
    build_music_catalogue,
)
from .faults import FAILURE_MODES, Failures, make_rule
from .folders import Disk, PlacedFolder
from .httpserver import HTTPServer
from .queries import ResultCache
from .render import Section, album_parts
from .store import custom_tracks
from .users import SimUser, UserRegistry

__all__ = ["FAILURE_MODES", "SimulatedPlex", "main"]

REQUEST_LOG_LIMIT = 10_000


def _default_machine_identifier(seed: int) -> str:
    return hashlib.sha1(f"plexbooks-simulated-plex-{seed}".encode()).hexdigest()


class SimulatedPlex:
    """A Plex Media Server stand-in on 127.0.0.1, serving a sample audiobook library.

    Sections: 1 Movies and 2 TV Shows (empty), 3 Audiobooks (``catalogue``), 4 Music
    (two ordinary albums). Use as a context manager or call ``start()``/``stop()``.
    """

    def __init__(self, catalogue: Catalogue | None = None, *, books: int = 300, seed: int = 1,
                 token: str = "simulated-token", host: str = "127.0.0.1", port: int = 0,
                 machine_identifier: str | None = None, webhook_urls: Iterable[str] = (),
                 allow_deletion: bool = True, webhook_per_track: bool = False,
                 friendly_name: str = "Simulated Plex", timeline_delay: float = 0.02,
                 real_text: float = REAL_TEXT, dirty_text: float = 0.0) -> None:
        self.seed = seed
        self._catalogue = catalogue if catalogue is not None else build_catalogue(
            books, seed, real_text=real_text, dirty_text=dirty_text)
        self._music = build_music_catalogue(seed)
        self.users = UserRegistry(token)  # the owner's server token is the server token
        self._owner_tokens: set[str] = set()  # add_token(): more tokens that act as the owner
        self.host = host
        self._port = port
        self._machine_identifier = machine_identifier or _default_machine_identifier(seed)
        self.friendly_name = friendly_name
        self.allow_deletion = allow_deletion
        self.webhook_per_track = webhook_per_track
        self.timeline_delay = timeline_delay
        self.failures = Failures()
        self.results = ResultCache()
        self.announcer = Announcer(self, webhook_urls)
        self._log: collections.deque = collections.deque(maxlen=REQUEST_LOG_LIMIT)
        self.refreshes: list[dict] = []
        self.disk = Disk()  # placed folders Plex has not scanned yet
        self.stopping = threading.Event()
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        ns = uuid.uuid5(uuid.NAMESPACE_URL, f"plex://{self._machine_identifier}")
        self.sections: dict[int, Section] = {
            1: Section(1, "movie", "Movies", "tv.plex.agents.movie", "Plex Movie",
                       str(uuid.uuid5(ns, "1")), "/data/movies"),
            2: Section(2, "show", "TV Shows", "tv.plex.agents.series", "Plex TV Series",
                       str(uuid.uuid5(ns, "2")), "/data/tv"),
            3: Section(3, "artist", self._catalogue.section_title, "tv.plex.agents.music",
                       "Plex Music", str(uuid.uuid5(ns, "3")), self._catalogue.root,
                       self._catalogue),
            4: Section(4, "artist", "Music", "tv.plex.agents.music", "Plex Music",
                       str(uuid.uuid5(ns, "4")), self._music.root, self._music),
        }


    # ------------------------------------------------------------------ properties
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def token(self) -> str:
        """The server token (the owner's server access token)."""
        return self.users.owner.server_token

    @property
    def machine_identifier(self) -> str:
        return self._machine_identifier

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue

    @property
    def music(self) -> Catalogue:
        return self._music

    @property
    def requests_log(self) -> list[tuple[str, str, dict, dict]]:
        """(method, path, query, headers) of the last Plex API requests (not ``/_simulator``)."""
        return list(self._log)

    def clear_requests_log(self) -> None:
        self._log.clear()

    @property
    def webhook_urls(self) -> list[str]:
        return list(self.announcer.urls)

    def set_webhook_urls(self, urls: Iterable[str]) -> None:
        self.announcer.urls = list(urls)

    @property
    def webhook_deliveries(self) -> collections.deque:
        """The last webhook posts: url, event, type, rating_key, at, status or error."""
        return self.announcer.deliveries

    @property
    def websocket_clients(self) -> int:
        return self.announcer.hub.count

    def disconnect_websockets(self, *, graceful: bool = False) -> int:
        """Drop every notification socket while the server keeps running (to test
        reconnects); ``graceful`` sends a close frame (1001) first. Returns how many."""
        return self.announcer.hub.close_all(graceful=graceful)

    def add_token(self, token: str) -> None:
        """Accept another token that reads the server as its owner does."""
        self._owner_tokens.add(token)

    # ------------------------------------------------------------------ users
    def viewer_for(self, token: str | None) -> SimUser | None:
        """Who a request's ``X-Plex-Token`` belongs to: the owner, a shared user who still
        has access, or None (answered 401). The one place tokens are checked."""
        if not token:
            return None
        if token in self._owner_tokens:
            return self.users.owner
        return self.users.by_server_token(token)

    def ratings_seen_by(self, viewer: SimUser | None) -> dict[str, float] | None:
        """The ratings a viewer sees: None for the owner (the catalogue's own, cached in
        the rendered XML), else the user's ``ratings`` (rating key -> userRating)."""
        if viewer is None or viewer is self.users.owner:
            return None
        return viewer.ratings

    def add_user(self, username: str, *, owned: bool = False, has_access: bool = True) -> SimUser:
        """A plex.tv account; with ``has_access`` the owner shared this server with it."""
        return self.users.add(username, owned=owned, has_access=has_access)

    def set_user_access(self, username: str, has_access: bool) -> SimUser:
        """Share the server with a user or take it away (their token then answers 401)."""
        user = self._user(username)
        if user is self.users.owner and not has_access:
            raise ValueError("the owner always has access")
        return self.users.set_access(username, has_access)

    def set_user_ratings(self, username: str, ratings: dict[str, float | None]) -> SimUser:
        """Set a user's ratings (rating key -> 0-10, None removes one). The owner's are the
        catalogue's own: setting them updates the albums (and announces the change)."""
        user = self._user(username)
        clean: dict[str, float | None] = {}
        for key, value in ratings.items():
            key = str(key)
            found = self.find(key)
            if found is None or found[1] is not self._catalogue:
                raise KeyError(key)
            if value is not None and (isinstance(value, bool) or not 0 <= float(value) <= 10):
                raise ValueError(f"rating for {key} must be between 0 and 10 or null")
            if user is self.users.owner and not isinstance(found[2], Album):
                raise ValueError(f"{key}: the owner's ratings are album ratings")
            clean[key] = None if value is None else float(value)
        for key, value in clean.items():
            if user is self.users.owner:
                self.update_album(key, user_rating=value)
            else:
                self.users.set_rating(username, key, value)
        return user

    def _user(self, username: str) -> SimUser:
        user = self.users.get(username)
        if user is None:
            raise LookupError(username)
        return user


    # ------------------------------------------------------------------ lifecycle
    def start(self, *, prerender: bool = False) -> str:
        """Serve in background threads; returns the base URL. Restartable on the same port.

        ``prerender`` renders every album's XML first (about 2 s per 100,000 albums here)
        so even the first full listing runs at cached speed.
        """
        if self._server is not None:
            return self.url
        if prerender:
            self.prerender()
        self.stopping.clear()
        self._server = HTTPServer((self.host, self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"simulated-plex-{self._port}", daemon=True)
        self._thread.start()
        self.announcer.start()
        return self.url

    def stop(self) -> None:
        """Stop serving; open connections (websockets included) are cut, as when a real
        server goes away, so notification listeners see a disconnect."""
        server = self._server
        if server is None:
            return
        self.stopping.set()
        self.announcer.stop()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> "SimulatedPlex":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until queued notifications and webhook posts are done (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.announcer.idle:
                return True
            time.sleep(0.01)
        return False

    def prerender(self, *, tracks: bool = False) -> int:
        """Render every album's XML now (it is otherwise rendered on first listing); with
        ``tracks`` also generate every album's tracks (otherwise made on first read)."""
        section, cat = self.sections[3], self._catalogue
        gc_was_enabled = gc.isenabled()
        gc.disable()  # allocation-only loop: cyclic GC passes over a big heap are waste
        try:
            for album in cat.ordered():
                album_parts(album, section, cat.artists.get(album.artist_rating_key))
                if tracks:
                    album.tracks  # noqa: B018 - generated and kept on first access
        finally:
            if gc_was_enabled:
                gc.enable()
        return len(cat)

    # ------------------------------------------------------------------ failures, log
    def set_failure(self, mode: str, count: int | None = None, *, path: str | None = None,
                    after: int = 0, seconds: float = 2.0) -> None:
        """Inject a fault into Plex API requests (``/_simulator`` is never affected).

        The rule matches requests whose path starts with ``path`` (all when None), lets
        the first ``after`` of them through, then applies ``mode`` to the next ``count``
        (None: every one until ``clear_failures()``). Modes: ``unauthorized`` (401),
        ``error500``, ``error503``, ``malformed_xml`` (200 with broken XML),
        ``no_total_size`` (listings without ``totalSize``), ``drop_connection`` (headers
        and part of the body, then the socket is closed), ``slow`` (waits ``seconds``
        before answering normally), ``truncated`` (200 whose body, Content-Length included,
        stops halfway), ``empty`` (200 with an empty body), ``short_page`` (a listing page
        holds half the items it should, down to none, while ``totalSize`` stays: a short
        track listing).
        """
        self.failures.add(make_rule(mode, count, path=path, after=after, seconds=seconds))

    def clear_failures(self) -> None:
        self.failures.clear()

    def log_request(self, method: str, path: str, query: dict, headers: dict) -> None:
        self._log.append((method, path, query, headers))

    def token_ok(self, token: str | None) -> bool:
        return self.viewer_for(token) is not None

    def refresh_section(self, section: Section, path: str | None = None, *,
                        force: bool = False) -> list[Album]:
        """``GET /library/sections/{id}/refresh[?path=]``, Plex's (partial) scan: every
        folder placed under *path* (the whole section when None) becomes an album,
        announced like ``add_album``. Recorded in ``refreshes``; returns the new albums."""
        clean = None if path is None or not path.rstrip("/") else path.rstrip("/")
        albums = []
        if section.catalogue is self._catalogue:
            for folder in self.disk.take(section.key, clean):
                albums.append(self.add_album(**folder.album_args()))
        self.refreshes.append({"section_id": section.key, "path": path, "force": force,
                               "at": time.time(), "added": [a.rating_key for a in albums]})
        return albums

    def place_folder(self, path: str, title: str, author: str, narrator: str | None = None,
                     asin: str | None = None, *, tracks: int | Sequence | None = None,
                     asin_source: str | None = None) -> PlacedFolder:
        """Put a book's files in a folder of the audiobook section without Plex knowing:
        it appears at the next refresh of that folder (or of the section). The ASIN shows
        in the folder name when the path holds ``[ASIN]`` (else as ``asin_source`` says).
        Raises ValueError for a bad path or book, FileExistsError for a folder that is
        already placed or already in the library."""
        section = self.sections[3]
        clean = folders.normalise(path, section.location)
        if not isinstance(title, str) or not title.strip() or not isinstance(author, str) \
                or not author.strip():
            raise ValueError("title and author (non-empty strings) are required")
        for value, name in ((narrator, "narrator"), (asin, "asin")):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
        custom_tracks(tracks, title)  # validate now, not at the scan
        if any(a.folder.rstrip("/") == clean for a in self._catalogue.ordered()):
            raise FileExistsError(clean)
        return self.disk.place(PlacedFolder(
            section.key, clean, title, author, narrator, asin,
            folders.asin_source_for(clean, asin, asin_source), tracks))

    def state(self) -> dict:
        """What ``GET /_simulator/state`` returns."""
        return {"url": self.url, "machine_identifier": self.machine_identifier,
                "albums": len(self._catalogue), "artists": len(self._catalogue.artists),
                "webhook_urls": self.webhook_urls, "websocket_clients": self.websocket_clients,
                "refreshes": self.refreshes[-20:], "failures": self.failures.describe(),
                "webhook_deliveries": list(self.webhook_deliveries)[-20:],
                "allow_deletion": self.allow_deletion}

    # ------------------------------------------------------------------ catalogue changes
    def add_album(self, title: str, author: str, narrator: str | None = None,
                  asin: str | None = None, *, webhook_per_track: bool | None = None,
                  **kwargs: Any) -> Album:
        """Add a book to section 3 (see ``Catalogue.add_album``), then, in the background,
        push timeline notifications and post ``library.new`` webhooks."""
        album = self._catalogue.add_album(title, author, narrator, asin, **kwargs)
        self.announcer.new(album, self.webhook_per_track if webhook_per_track is None
                           else webhook_per_track)
        return album

    def remove_album(self, rating_key: str | int) -> Album:
        """Remove an album; notifies websocket clients with state 9."""
        album = self._catalogue.remove_album(rating_key)
        self.announcer.deleted(album)
        return album

    def update_album(self, rating_key: str | int, /, **changes: Any) -> Album:
        album = self._catalogue.update_album(rating_key, **changes)
        self.announcer.updated(album)
        return album

    def dirty_rating_keys(self) -> list[str]:
        """Audiobooks whose XML is not well-formed (raw control characters in their text,
        see ``dirty_text``): python-plexapi and plexbooks must clean these pages."""
        return self._catalogue.dirty_rating_keys()

    def find(self, rk: str) -> tuple[Section, Catalogue, Album | Artist | Track] | None:
        """(section, catalogue, item) of the album, artist or track with this rating key."""
        for section in (self.sections[3], self.sections[4]):
            cat = section.catalogue
            item = cat.find(rk) if cat is not None else None
            if cat is not None and item is not None:
                return section, cat, item
        return None


# --------------------------------------------------------------------------------- CLI
def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return share


def main(argv: list[str] | None = None) -> int:
    """``plexbooks simulate``: serve a simulated Plex until Ctrl-C (or SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="plexbooks simulate",
        description="Run a simulated Plex Media Server with a sample audiobook library "
                    "(section 3) on 127.0.0.1.",
        epilog="The control API on the same port needs no token: GET /_simulator/state; "
               "POST /_simulator/albums (add a book, announced by webhook and websocket); "
               "POST /_simulator/folders then GET /library/sections/3/refresh?path= (files "
               "placed, then scanned); GET/POST /_simulator/users, PATCH /_simulator/users/NAME, "
               "PUT /_simulator/users/NAME/ratings (shared users and their ratings); "
               "POST /_simulator/webhooks; POST/DELETE /_simulator/failures (faults: "
               + ", ".join(FAILURE_MODES) + "); GET /_simulator/dirty-text.")
    parser.add_argument("--port", type=int, default=32400, help="port to listen on (default 32400; 0 = any free port)")
    parser.add_argument("--books", type=int, default=300, help="number of sample audiobooks (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="catalogue seed (default 1)")
    parser.add_argument("--token", default="simulated-token",
                        help="the server (owner's) X-Plex-Token (default simulated-token)")
    parser.add_argument("--webhook-url", action="append", default=[], metavar="URL",
                        help="post library.new webhooks here (repeatable)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--webhook-per-track", action="store_true",
                        help="send one library.new per track instead of per album")
    parser.add_argument("--no-deletion", action="store_true",
                        help='behave as if "allow media deletion" were off (DELETE -> 403)')
    parser.add_argument("--dirty-text", type=_share, default=0.0, metavar="SHARE",
                        help="share of books (0-1) whose summary holds raw control characters "
                             "that make their XML not well-formed, as real servers send "
                             "(default 0)")
    parser.add_argument("--real-text", type=_share, default=REAL_TEXT, metavar="SHARE",
                        help="share of books (0-1) with well-formed real Plex text: entities, "
                             "newlines, CJK and right-to-left titles, emoji, 12,000-character "
                             f"summaries (default {REAL_TEXT})")
    from .plextv import add_arguments as add_plextv_arguments
    from .plextv import start_beside
    add_plextv_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or wrong usage (2)
        return int(exc.code or 0)
    if args.books < 0 or not 0 <= args.port <= 65535:
        print("plexbooks simulate: --books must be >= 0 and --port 0-65535", file=sys.stderr)
        return 2
    sim = SimulatedPlex(books=args.books, seed=args.seed, token=args.token, host=args.host,
                        port=args.port, webhook_urls=args.webhook_url,
                        webhook_per_track=args.webhook_per_track,
                        allow_deletion=not args.no_deletion, real_text=args.real_text,
                        dirty_text=args.dirty_text)
    # Ctrl-C and SIGTERM only ask to stop, from the first moment: one that arrived while the
    # servers were still starting used to escape as KeyboardInterrupt and leave their threads
    # running (the process never exited)
    done = threading.Event()
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, lambda *_: done.set()) for sig in handled} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        sim.prerender(tracks=True)
        # what is built now lives as long as the process: keep it out of every later
        # cyclic GC pass (a 100,000-book library is millions of objects)
        gc.freeze()
        url = sim.start()
    except OSError as exc:
        print(f"plexbooks simulate: cannot listen on {args.host}:{args.port}: {exc}",
              file=sys.stderr)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        return 1
    print(f"Simulated Plex Media Server at {url}", flush=True)
    print(f"Token: {sim.token}", flush=True)
    print(f"machineIdentifier: {sim.machine_identifier}", flush=True)
    print(f"Audiobooks: section 3, {len(sim.catalogue)} books (seed {args.seed}); "
          f"webhooks: {', '.join(sim.webhook_urls) or 'none'}", flush=True)
    if args.dirty_text:
        print(f"Dirty text: {len(sim.dirty_rating_keys())} books with raw control characters "
              f"(GET /_simulator/dirty-text lists them)", flush=True)
    plextv = None
    try:
        plextv = start_beside(sim, args)
        print("Press Ctrl-C to stop.", flush=True)
        while not done.wait(1.0):  # bounded by Ctrl-C / SIGTERM
            pass
    except KeyboardInterrupt:      # not the main thread: no handler of ours
        pass
    finally:
        if plextv is not None:
            plextv.stop()
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
