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


def album_predicates(pairs: Sequence[tuple[str, str]]) -> list[Callable[[Album], bool]]:
    """Plex filter query parameters (``title=``, ``addedAt>>=``, ``year<<=``, ``guid=``,
    ``artist.id=``) as predicates. Unknown parameters are ignored, as Plex does."""
    preds: list[Callable[..., bool]] = []  # lambdas bind their values as defaults
    for key, value in pairs:
        field_name = key.rstrip("<>!")
        op = key[len(field_name):]
        if field_name in ("title", "query"):
            if value.startswith("="):  # "title==x": exact
                wanted = value[1:].casefold()
                preds.append(lambda a, w=wanted, neg=op == "!": (a.title.casefold() == w) != neg)
            else:
                wanted = value.casefold()
                preds.append(lambda a, w=wanted, neg=op == "!": (w in a.title.casefold()) != neg)
        elif field_name in ("addedAt", "updatedAt", "year") and op in (">>", "<<", ""):
            number = timestamp(value) if field_name != "year" else \
                (int(value) if value.lstrip("-").isdigit() else None)
            if number is None:
                continue
            attr = {"addedAt": "added_at", "updatedAt": "updated_at", "year": "year"}[field_name]
            if op == ">>":
                preds.append(lambda a, n=number, f=attr: (getattr(a, f) or 0) > n)
            elif op == "<<":
                preds.append(lambda a, n=number, f=attr: (getattr(a, f) or 0) < n)
            else:
                preds.append(lambda a, n=number, f=attr: getattr(a, f) == n)
        elif field_name == "guid" and not op:
            preds.append(lambda a, g=value: a.guid == g)
        elif field_name in ("artist.id", "parentRatingKey") and not op:
            keys = set(value.split(","))
            preds.append(lambda a, k=keys: a.artist_rating_key in k)
    return preds


_FILTER_KEYS = re.compile(r"^(album\.)?(title|query|addedAt|updatedAt|year|guid|artist\.id|"
                          r"parentRatingKey)[<>!]*$")


class ResultCache:
    """Ordered+filtered album lists per (catalogue version, query), so paging through a
    filtered listing does not re-filter the whole library for every page."""

    def __init__(self, size: int = 32) -> None:
        self._items: collections.OrderedDict = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

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
    """All tracks of a section in album order, sliceable without generating them all."""

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
        out: list[tuple[Album, Track]] = []
        pos = bisect.bisect_right(self._starts, start) - 1
        while start < stop and 0 <= pos < len(self._albums):  # bounded by stop
            album = self._albums[pos]
            offset = start - self._starts[pos]
            for track in album.tracks[offset:offset + (stop - start)]:
                out.append((album, track))
                start += 1
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

