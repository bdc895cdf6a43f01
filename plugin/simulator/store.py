"""One simulated Plex music section's contents: the ``Catalogue`` of albums, artists and
(lazily) tracks, with the lookups, orders and mutations the server needs.

Rating keys are allocated the way Plex does it, from one increasing counter: an album's
tracks get the keys right after the album's own, which keeps ``track -> album`` lookups
O(log n) without a dict of every track. Keys are never reused after a removal.
"""
from __future__ import annotations

import bisect
import hashlib
import random
import threading
import time
from operator import attrgetter
from typing import Iterator, Sequence

from . import text
from .items import (
    _DETAIL_FIELDS,
    ASIN_IN_AGENT_GUID,
    ASIN_IN_FOLDER,
    ASIN_IN_GUID_CHILD,
    ASIN_NOWHERE,
    ASIN_SOURCES,
    GUID_AUDIBLE,
    GUID_AUDNEXUS,
    GUID_LOCAL,
    GUID_PLEX,
    Album,
    AlbumDetails,
    Artist,
    Track,
    _hex24,
)

_added_at = attrgetter("added_at")


def _recency(album: "Album") -> tuple[int, int]:
    """The order of ``Catalogue.by_added_desc``: newest first, then by rating key."""
    return -album.added_at, int(album.rating_key)


class Catalogue:
    """The albums, artists and (lazily) tracks of one Plex music section.

    Lookups are dicts; ``by_added_desc`` is kept ordered by ``addedAt`` (newest first) for
    recently-added paging; other orders are computed once per ``version`` and cached.
    Mutations take ``lock`` and bump ``version``.
    """

    def __init__(self, *, section_id: int = 3, section_title: str = "Audiobooks",
                 root: str = "/audiobooks", first_key: int = 1000, seed: int = 1) -> None:
        self.section_id = section_id
        self.section_title = section_title
        self.root = root
        self.seed = seed
        self.lock = threading.RLock()
        self.version = 0
        self.albums: dict[str, Album] = {}
        self.artists: dict[str, Artist] = {}
        self.by_added_desc: list[Album] = []
        self._artist_by_title: dict[str, Artist] = {}
        self._album_keys: list[int] = []  # ascending int rating keys, for track lookups
        self._by_guid: dict[str, Album] = {}
        self._next_key = first_key
        self._order_cache: dict[tuple[str, int], tuple[Album, ...]] = {}
        self._rng = random.Random(f"runtime-{seed}")

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.albums)

    def __iter__(self) -> Iterator[Album]:
        with self.lock:
            return iter(list(self.albums.values()))

    def get_album(self, rating_key: str | int) -> Album | None:
        return self.albums.get(str(rating_key))

    def get_artist(self, rating_key: str | int) -> Artist | None:
        return self.artists.get(str(rating_key))

    def get_album_by_guid(self, guid: str) -> Album | None:
        return self._by_guid.get(guid)

    def get_track(self, rating_key: str | int) -> Track | None:
        """The track with this key, found through the album that owns the key range."""
        try:
            key = int(rating_key)
        except (TypeError, ValueError):
            return None
        with self.lock:
            pos = bisect.bisect_right(self._album_keys, key) - 1
            if pos < 0:
                return None
            album = self.albums.get(str(self._album_keys[pos]))
        if album is None or not 0 < key - int(album.rating_key) <= album.track_count:
            return None
        return album.tracks[key - int(album.rating_key) - 1]

    def find(self, rating_key: str | int) -> Album | Artist | Track | None:
        rk = str(rating_key)
        return self.albums.get(rk) or self.artists.get(rk) or self.get_track(rk)

    def albums_of_artist(self, artist_rating_key: str) -> list[Album]:
        return [a for a in self.ordered("titleSort") if a.artist_rating_key == artist_rating_key]

    def ordered(self, sort: str = "default") -> tuple[Album, ...]:
        """Albums in a Plex sort order, cached until the catalogue changes.

        ``default`` is Plex's album default (artist, then title); also ``titleSort``,
        ``addedAt``, ``updatedAt``, ``year`` and ``userRating``, each with ``:desc``.
        """
        with self.lock:
            key = (sort, self.version)
            cached = self._order_cache.get(key)
            if cached is not None:
                return cached
            field_name, _, direction = sort.partition(":")
            desc = direction == "desc"
            if field_name == "addedAt":
                items = tuple(self.by_added_desc if desc else reversed(self.by_added_desc))
            else:
                keyfunc = _SORT_KEYS.get(field_name, _SORT_KEYS["default"])
                items = tuple(sorted(self.albums.values(), key=keyfunc, reverse=desc))
            if len(self._order_cache) > 16:
                self._order_cache.clear()
            self._order_cache[key] = items
            return items

    def dirty_rating_keys(self) -> list[str]:
        """Rating keys of the albums whose text holds characters XML 1.0 forbids (raw
        control characters: their XML is not well-formed), in rating key order."""
        with self.lock:
            albums = list(self.albums.values())
        out = []
        for album in albums:
            details = album._details
            if album.text == text.DIRTY or any(text.has_forbidden(v) for v in (
                    album.title, album.parent_title, album.original_title,
                    details.summary if details else None, details.studio if details else None)):
                out.append(album.rating_key)
        return sorted(out, key=int)

    def added_since(self, timestamp: int) -> list[Album]:
        """Albums with addedAt strictly greater than *timestamp*, newest first (bisect)."""
        with self.lock:
            pos = bisect.bisect_left(self.by_added_desc, (-timestamp, -1), key=_recency)
            return self.by_added_desc[:pos]

    # ------------------------------------------------------------------ building blocks
    def _take_keys(self, count: int) -> int:
        key = self._next_key
        self._next_key += count
        return key

    def _new_album(self, rng: random.Random, *, title: str, base_title: str, parent_title: str,
                   author: str, narrator: str | None, asin: str | None, asin_source: str,
                   guid_kind: str, added_at: int, updated_at: int, year: int | None,
                   series: str | None, series_index: int | None, file_style: str,
                   track_count: int, duration: int, original_title: str | None,
                   nonfiction: bool = False, folder_extra: str | None = None,
                   custom_tracks: tuple[tuple[str, int], ...] | None = None,
                   text: str | None = None) -> Album:
        """Allocate keys (album, then its tracks), find or create the artist, make the guid."""
        artist = self._artist_by_title.get(parent_title)
        if artist is None:
            ark = str(self._take_keys(1))
            # from the name, not from rng: who the first album of an author is must not
            # shift the draws of every later book
            digest = hashlib.blake2b(f"{self.seed}:{parent_title}".encode(), digest_size=12)
            aguid = f"local://{ark}" if guid_kind == GUID_LOCAL else \
                f"plex://artist/{digest.hexdigest()}"
            artist = Artist(ark, parent_title, aguid, added_at, added_at)
            self._artist_by_title[parent_title] = artist
            self.artists[ark] = artist
        artist.album_count += 1
        if added_at < artist.added_at:
            artist.added_at = added_at
        rk = self._take_keys(track_count + 1)
        if asin is None:
            asin_source = ASIN_NOWHERE
        if asin_source == ASIN_IN_AGENT_GUID and guid_kind == GUID_AUDIBLE:
            guid = f"com.plexapp.agents.audible://{asin}?lang=en"
        elif asin_source == ASIN_IN_AGENT_GUID:
            guid = f"com.plexapp.agents.audnexus://{asin}_us?lang=en"
        elif guid_kind == GUID_LOCAL:
            guid = f"local://{rk}"
        else:
            guid = f"plex://album/{_hex24(rng)}"
        return Album(str(rk), guid, title, base_title, parent_title, artist.rating_key,
                     artist.guid, author, narrator, asin, asin_source, file_style, track_count,
                     duration, original_title, year, added_at, updated_at, series, series_index,
                     rng.getrandbits(32), nonfiction, self.section_id, self.root, folder_extra,
                     custom_tracks, text)

    def _index(self, album: Album) -> None:
        """Insert into every lookup structure (caller holds the lock)."""
        self.albums[album.rating_key] = album
        self._by_guid[album.guid] = album
        bisect.insort(self.by_added_desc, album, key=_recency)
        bisect.insort(self._album_keys, int(album.rating_key))
        self.version += 1

    def _index_many(self, albums: list[Album]) -> None:
        """Bulk insert for the builder: one sort instead of n list insertions."""
        with self.lock:
            for album in albums:
                self.albums[album.rating_key] = album
                self._by_guid[album.guid] = album
            # rating key ascending (already so when built), then a stable sort by addedAt
            # descending: the order of (-addedAt, ratingKey) without a tuple per album
            by_key = list(self.albums.values())
            if any(int(a.rating_key) > int(b.rating_key) for a, b in zip(by_key, by_key[1:])):
                by_key.sort(key=lambda a: int(a.rating_key))
            self._album_keys = [int(a.rating_key) for a in by_key]
            self.by_added_desc = sorted(by_key, key=_added_at, reverse=True)
            self.version += 1

    # ------------------------------------------------------------------ mutation
    def add_album(self, title: str, author: str, narrator: str | None = None,
                  asin: str | None = None, *, tracks: int | Sequence | None = None,
                  year: int | None = None, summary: str | None = None,
                  asin_source: str | None = None, guid_kind: str = GUID_PLEX,
                  parent_title: str | None = None, series: str | None = None,
                  series_index: int | None = None, user_rating: float | None = None,
                  genres: Sequence[str] = (), studio: str | None = None,
                  added_at: int | None = None) -> Album:
        """Add a book as Plex would after scanning it: new rating keys, addedAt = now.

        ``tracks`` is a count of equal 45-minute parts, or a sequence of
        ``(title, duration_ms)`` / ``{"title", "duration"}`` items; default one 8-hour
        ``.m4b``. ``asin_source`` picks where the ASIN shows up: ``folder`` (bracketed
        folder name, the default), ``agent`` (legacy Audnexus/Audible agent guid; set
        ``guid_kind`` to ``audible`` for the Audible agent), ``guid`` (external ``Guid``
        child) or ``none``. ``parent_title`` overrides the album artist (pass the
        narrator to mimic poor tagging). addedAt is strictly newer than every album.
        """
        if not title or not author:
            raise ValueError("title and author are required")
        if asin_source is None:
            asin_source = ASIN_IN_AGENT_GUID if guid_kind in (GUID_AUDNEXUS, GUID_AUDIBLE) \
                else ASIN_IN_FOLDER
        if asin_source not in ASIN_SOURCES:
            raise ValueError(f"asin_source must be one of {ASIN_SOURCES}")
        custom = _normalise_tracks(tracks, title)
        with self.lock:
            now = int(time.time()) if added_at is None else int(added_at)
            if added_at is None and self.by_added_desc:
                now = max(now, self.by_added_desc[0].added_at + 1)
            album = self._new_album(
                self._rng, title=title, base_title=title, parent_title=parent_title or author,
                author=author, narrator=narrator, asin=asin.upper() if asin else None,
                asin_source=asin_source, guid_kind=guid_kind, added_at=now, updated_at=now,
                year=year, series=series, series_index=series_index,
                file_style="m4b" if len(custom) == 1 else "mp3", track_count=len(custom),
                duration=sum(d for _, d in custom),
                original_title=author if parent_title and parent_title != author else None,
                folder_extra="", custom_tracks=custom)
            album._details = AlbumDetails(
                summary=summary if summary is not None else
                (f"Narrated by {narrator}." if narrator else ""),
                studio=studio, genres=tuple(genres),
                originally_available_at=f"{year}-01-01" if year else None,
                external_guids=(f"audible://{album.asin}",)
                if album.asin_source == ASIN_IN_GUID_CHILD else (),
                user_rating=user_rating, view_count=0,
                last_viewed_at=None)
            self._index(album)
            return album

    def remove_album(self, rating_key: str | int) -> Album:
        """Remove an album (and its tracks); its artist goes when it has no albums left."""
        rk = str(rating_key)
        with self.lock:
            album = self.albums.pop(rk, None)
            if album is None:
                raise KeyError(rk)
            self._by_guid.pop(album.guid, None)
            pos = bisect.bisect_left(self.by_added_desc, _recency(album), key=_recency)
            if pos < len(self.by_added_desc) and self.by_added_desc[pos] is album:
                del self.by_added_desc[pos]
            kpos = bisect.bisect_left(self._album_keys, int(rk))
            if kpos < len(self._album_keys) and self._album_keys[kpos] == int(rk):
                del self._album_keys[kpos]
            artist = self.artists.get(album.artist_rating_key)
            if artist is not None:
                artist.album_count -= 1
                if artist.album_count <= 0:
                    del self.artists[artist.rating_key]
                    self._artist_by_title.pop(artist.title, None)
            self.version += 1
            return album

    UPDATABLE = frozenset({"title", "year", "narrator", "original_title", *_DETAIL_FIELDS})

    def update_album(self, rating_key: str | int, /, **changes: object) -> Album:
        """Change album fields (see ``UPDATABLE``); bumps updatedAt and drops caches."""
        unknown = set(changes) - self.UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        with self.lock:
            album = self.albums.get(str(rating_key))
            if album is None:
                raise KeyError(str(rating_key))
            for name, value in changes.items():
                setattr(album, name, value)
            album._sort_keys = None
            album.updated_at = max(int(time.time()), album.updated_at + 1)
            album.render_cache.clear()
            if album._tracks is not None:  # tracks carry the album's timestamps
                for track in album._tracks:
                    track.updated_at = album.updated_at
            self.version += 1
            return album


def _normalise_tracks(tracks: int | Sequence | None, title: str) -> tuple[tuple[str, int], ...]:
    if tracks is None:
        return ((title, 8 * 3_600_000),)
    if isinstance(tracks, int):
        if not 1 <= tracks <= 500:
            raise ValueError("tracks must be between 1 and 500")
        return tuple((f"Part {i:02d}", 45 * 60_000) for i in range(1, tracks + 1))
    out = []
    for i, item in enumerate(tracks, 1):
        if isinstance(item, dict):
            out.append((str(item.get("title") or f"Part {i:02d}"),
                        int(item.get("duration") or 45 * 60_000)))
        else:
            name, duration = item
            out.append((str(name), int(duration)))
    if not 1 <= len(out) <= 500:
        raise ValueError("between 1 and 500 tracks")
    return tuple(out)


_SORT_KEYS = {
    "default": lambda a: (*a.sort_keys, int(a.rating_key)),
    "artist.titleSort": lambda a: (*a.sort_keys, int(a.rating_key)),
    "titleSort": lambda a: (a.title_sort, int(a.rating_key)),
    "title": lambda a: (a.title_sort, int(a.rating_key)),
    "updatedAt": lambda a: (a.updated_at, int(a.rating_key)),
    "year": lambda a: (a.year or 0, int(a.rating_key)),
    "userRating": lambda a: (a.user_rating or 0.0, int(a.rating_key)),
}


