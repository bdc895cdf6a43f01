"""Which items a listing holds and which page of them: Plex's filter parameters, sort
orders, paging (query or headers), a cache of filtered results and the track listing.

A listing's ordered and filtered result is cached per catalogue version, so paging through
a filtered listing does not re-filter the whole library for every page.
"""
from __future__ import annotations

import bisect
import collections
import re
import threading
import time
from typing import Any, Callable, Sequence

from .catalogue import Album, Catalogue, Track

_RELATIVE = re.compile(r"^-(\d+)(mon|s|m|h|d|w|y)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mon": 2_592_000,
                 "y": 31_536_000}


def timestamp(value: str) -> int | None:
    """Plex date filter values: epoch seconds, ``YYYY-MM-DD`` or relative ``-30d``."""
    value = value.strip()
    if re.fullmatch(r"-?\d+", value) and not _RELATIVE.match(value):
        return int(value)
    rel = _RELATIVE.match(value)
    if rel:
        return int(time.time()) - int(rel.group(1)) * _UNIT_SECONDS[rel.group(2)]
    try:
        return int(time.mktime(time.strptime(value[:10], "%Y-%m-%d")))
    except ValueError:
        return None


def album_predicates(pairs: Sequence[tuple[str, str]]) -> list["Predicate"]:
    """Plex filter query parameters (``title=``, ``addedAt>>=``, ``year<<=``, ``guid=``,
    ``artist.id=``) as predicates. Unknown parameters are ignored, as Plex does."""
    preds: list[Predicate] = []
    for key, value in pairs:
        field_name = key.rstrip("<>!")
        op = key[len(field_name):]
        if field_name in ("title", "query"):
            if value.startswith("="):  # "title==x": exact
                preds.append(_title_is(value[1:].casefold(), op == "!"))
            else:
                preds.append(_title_has(value.casefold(), op == "!"))
        elif field_name in ("addedAt", "updatedAt", "year") and op in (">>", "<<", ""):
            number = timestamp(value) if field_name != "year" else \
                (int(value) if value.lstrip("-").isdigit() else None)
            if number is None:
                continue
            attr = {"addedAt": "added_at", "updatedAt": "updated_at", "year": "year"}[field_name]
            preds.append(_compare(attr, op, number))
        elif field_name == "guid" and not op:
            preds.append(_guid_is(value))
        elif field_name in ("artist.id", "parentRatingKey") and not op:
            preds.append(_artist_in(set(value.split(","))))
    return preds


Predicate = Callable[[Album], bool]


def _title_is(wanted: str, negate: bool) -> Predicate:
    return lambda a: (a.title.casefold() == wanted) != negate


def _title_has(wanted: str, negate: bool) -> Predicate:
    return lambda a: (wanted in a.title.casefold()) != negate


def _compare(attr: str, op: str, number: int) -> Predicate:
    if op == ">>":
        return lambda a: (getattr(a, attr) or 0) > number
    if op == "<<":
        return lambda a: (getattr(a, attr) or 0) < number
    return lambda a: getattr(a, attr) == number


def _guid_is(guid: str) -> Predicate:
    return lambda a: a.guid == guid


def _artist_in(keys: set[str]) -> Predicate:
    return lambda a: a.artist_rating_key in keys


_FILTER_KEYS = re.compile(r"^(album\.)?(title|query|addedAt|updatedAt|year|guid|artist\.id|"
                          r"parentRatingKey)[<>!]*$")


class ResultCache:
    """Ordered+filtered album lists per (catalogue version, query), so paging through a
    filtered listing does not re-filter the whole library for every page."""

    def __init__(self, size: int = 32) -> None:
        self._items: collections.OrderedDict = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def tracks(self, catalogue: Catalogue) -> TrackListing:
        """Every track of the catalogue in album order, kept until the catalogue changes."""
        key = (id(catalogue), catalogue.version, "tracks")
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        listing = TrackListing(catalogue.ordered())
        with self._lock:
            self._items[key] = listing
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return listing

    def albums(self, catalogue: Catalogue, sort: str, pairs: Sequence[tuple[str, str]]
               ) -> Sequence[Album]:
        # python-plexapi prefixes fields with the libtype ("album.addedAt:desc")
        filters = tuple(sorted((k.removeprefix("album."), v) for k, v in pairs
                               if _FILTER_KEYS.match(k)))
        field_name, _, direction = sort.partition(",")[0].partition(":")
        field_name = field_name.removeprefix("album.")
        order = f"{field_name}:{direction}" if field_name else "default"
        if not filters:
            return catalogue.ordered(order)
        key = (id(catalogue), catalogue.version, order, filters)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        if len(filters) == 1 and filters[0][0] == "addedAt>>" and order == "addedAt:desc" \
                and (since := timestamp(filters[0][1])) is not None:
            result: Sequence[Album] = catalogue.added_since(since)  # bisect, no scan
        else:
            preds = album_predicates(filters)
            result = [a for a in catalogue.ordered(order) if all(p(a) for p in preds)]
        with self._lock:
            self._items[key] = result
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return result


class TrackListing(Sequence):
    """All tracks of some albums in album order, sliceable without generating them all.

    Built once per catalogue version for a section (``ResultCache.tracks``): the offsets
    are one pass over the albums, a page is a bisect plus its own tracks.
    """

    def __init__(self, albums: Sequence[Album]) -> None:
        self._albums = albums
        self._starts: list[int] = []
        total = 0
        for album in albums:
            self._starts.append(total)
            total += album.track_count
        self._total = total

    def __len__(self) -> int:
        return self._total

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, int):
            return self[item:item + 1][0]
        start, stop, _ = item.indices(self._total)
        return [(album, track) for album, tracks in self.groups(start, stop) for track in tracks]

    def groups(self, start: int, stop: int | None = None) -> list[tuple[Album, list[Track]]]:
        """Tracks ``start:stop`` grouped by album: [(album, its tracks in the range)]."""
        start, stop, _ = slice(start, stop).indices(self._total)
        out: list[tuple[Album, list[Track]]] = []
        pos = bisect.bisect_right(self._starts, start) - 1
        while start < stop and 0 <= pos < len(self._albums):  # bounded by stop
            album = self._albums[pos]
            offset = start - self._starts[pos]
            tracks = album.tracks[offset:offset + (stop - start)]
            if tracks:
                out.append((album, tracks))
                start += len(tracks)
            pos += 1
        return out


def paging(query: dict, headers: Any) -> tuple[int, int | None, bool]:
    """(start, size or None, paged?) from query parameters, else the request headers."""
    def read(name: str) -> int | None:
        raw = query.get(name)
        if raw is None:
            raw = headers.get(name)
        if raw is None:
            return None
        try:
            return max(0, int(raw))
        except ValueError:
            return None
    start = read("X-Plex-Container-Start")
    size = read("X-Plex-Container-Size")
    return start or 0, size, start is not None or size is not None

