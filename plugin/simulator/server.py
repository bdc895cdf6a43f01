"""A simulated Plex Media Server: answers the library endpoints python-plexapi uses with
the same XML a real server sends (checked against ``fixtures/plex/``), pushes timeline
notifications on ``/:/websockets/notifications`` and posts ``library.new`` webhooks.

Speed is the design constraint: each album's XML element is rendered once and cached as
bytes (dropped on update), a listing's ordered/filtered result is cached per catalogue
version, so a page is a slice plus a ``b"".join`` of cached bytes.

Control endpoints (no Plex token needed) live under ``/_simulator/``: add/remove albums
(with webhooks and websocket notifications), set webhook targets, inject failures.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import gc
import hashlib
import json
import logging
import queue
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

import requests

from .catalogue import (
    ASIN_SOURCES,
    Album,
    Artist,
    Catalogue,
    Track,
    build_catalogue,
    build_music_catalogue,
    sort_title,
)
from .websocket import (
    NOTIFICATIONS_PATH,
    WebSocketClient,
    WebSocketHub,
    accept_key,
    serve_connection,
    timeline_entry,
    timeline_message,
)

__all__ = ["FAILURE_MODES", "SimulatedPlex", "main"]

log = logging.getLogger(__name__)

PLEX_VERSION = "1.41.3.9314-a0bfb8370"
MEDIA_TAG_VERSION = "1734362783"
MEDIA_TAG_PREFIX = "/system/bundle/media/flags/"
LIBRARY_ID = "com.plexapp.plugins.library"
FAILURE_MODES = ("unauthorized", "error500", "error503", "malformed_xml", "no_total_size",
                 "drop_connection", "slow")
REQUEST_LOG_LIMIT = 10_000
XML_TYPE = "text/xml;charset=utf-8"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# A minimal 1x1 greyscale JPEG: what /thumb returns and webhooks attach as "thumb".
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b"
    "0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e3334"
    "32ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748"
    "494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2"
    "a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9"
    "eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")

_HTML_ERRORS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    500: "Internal Server Error", 503: "Service Unavailable",
}


def _html_error(status: int) -> bytes:
    """Plex's bare HTML error body, e.g. for 401 (what python-plexapi puts in messages)."""
    text = f"{status} {_HTML_ERRORS.get(status, 'Error')}"
    return (f"<html><head><title>{_HTML_ERRORS.get(status, 'Error')}</title></head>"
            f"<body><h1>{text}</h1></body></html>").encode()


# python-plexapi reads this before any sorted or filtered search (recentlyAdded()):
# the <Meta> block of a real music section, verbatim from fixtures/plex/
# ha_library_music_metadata.xml (section 3; other sections get their own key).
_MUSIC_META = """<Meta>
        <Type key="/library/sections/3/all?type=8" type="artist" title="Artists" active="1">
            <Filter filter="genre" filterType="string" key="/library/sections/3/genre?type=8" title="Genre" type="filter" />
            <Filter filter="mood" filterType="string" key="/library/sections/3/mood?type=8" title="Mood" type="filter" />
            <Filter filter="style" filterType="string" key="/library/sections/3/style?type=8" title="Style" type="filter" />
            <Filter filter="country" filterType="string" key="/library/sections/3/country?type=8" title="Country" type="filter" />
            <Filter filter="collection" filterType="string" key="/library/sections/3/collection?type=8" title="Collection" type="filter" />
            <Filter filter="unmatched" filterType="boolean" key="/library/sections/3/unmatched" title="Unmatched" type="filter" />
            <Sort active="1" activeDirection="asc" default="asc" defaultDirection="asc" descKey="titleSort:desc" firstCharacterKey="/library/sections/3/firstCharacter" key="titleSort" title="Title" />
            <Sort defaultDirection="desc" descKey="userRating:desc" key="userRating" title="Rating" />
            <Sort defaultDirection="desc" descKey="addedAt:desc" key="addedAt" title="Date Added" />
            <Sort defaultDirection="desc" descKey="lastViewedAt:desc" key="lastViewedAt" title="Date Played" />
            <Sort defaultDirection="desc" descKey="viewCount:desc" key="viewCount" title="Plays" />
            <Sort defaultDirection="desc" descKey="random:desc" key="random" title="Randomly" />
            <Field key="artist.title" title="Artist Title" type="string" />
            <Field key="artist.userRating" subType="rating" title="Artist Rating" type="integer" />
            <Field key="artist.genre" title="Artist Genre" type="tag" />
            <Field key="artist.collection" title="Artist Collection" type="tag" />
            <Field key="artist.country" title="Artist Country" type="tag" />
            <Field key="artist.mood" title="Artist Mood" type="tag" />
            <Field key="artist.style" title="Artist Style" type="tag" />
            <Field key="artist.addedAt" title="Date Artist Added" type="date" />
            <Field key="artist.lastViewedAt" title="Artist Last Played" type="date" />
            <Field key="artist.unmatched" title="Unmatched" type="boolean" />
        </Type>
        <Type key="/library/sections/3/all?type=9" type="album" title="Albums" active="0">
            <Filter filter="genre" filterType="string" key="/library/sections/3/genre?type=9" title="Genre" type="filter" />
            <Filter filter="mood" filterType="string" key="/library/sections/3/mood?type=9" title="Mood" type="filter" />
            <Filter filter="style" filterType="string" key="/library/sections/3/style?type=9" title="Style" type="filter" />
            <Filter filter="year" filterType="integer" key="/library/sections/3/year?type=9" title="Year" type="filter" />
            <Filter filter="decade" filterType="integer" key="/library/sections/3/decade?type=9" title="Decade" type="filter" />
            <Filter filter="studio" filterType="string" key="/library/sections/3/studio?type=9" title="Record Label" type="filter" />
            <Filter filter="format" filterType="string" key="/library/sections/3/format?type=9" title="Format" type="filter" />
            <Filter filter="subformat" filterType="string" key="/library/sections/3/subformat?type=9" title="Type" type="filter" />
            <Filter filter="collection" filterType="string" key="/library/sections/3/collection?type=9" title="Collection" type="filter" />
            <Filter filter="label" filterType="string" key="/library/sections/3/label?type=9" title="Labels" type="filter" />
            <Filter filter="source" filterType="string" key="/library/sections/3/source?type=9" title="Source" type="filter" />
            <Filter filter="unmatched" filterType="boolean" key="/library/sections/3/unmatched" title="Unmatched" type="filter" />
            <Sort defaultDirection="asc" descKey="titleSort:desc" firstCharacterKey="/library/sections/3/firstCharacter?type=9" key="titleSort" title="Title" />
            <Sort default="asc" defaultDirection="asc" descKey="artist.titleSort:desc,album.titleSort,album.index,album.id,album.originallyAvailableAt" firstCharacterKey="/library/sections/3/firstCharacter?type=9" key="artist.titleSort,album.titleSort,album.index,album.id,album.originallyAvailableAt" title="Album Artist" />
            <Sort defaultDirection="desc" descKey="year:desc" key="year" title="Year" />
            <Sort defaultDirection="desc" descKey="originallyAvailableAt:desc" key="originallyAvailableAt" title="Release Date" />
            <Sort defaultDirection="desc" descKey="rating:desc" key="rating" title="Critic Rating" />
            <Sort defaultDirection="desc" descKey="userRating:desc" key="userRating" title="Rating" />
            <Sort defaultDirection="desc" descKey="addedAt:desc" key="addedAt" title="Date Added" />
            <Sort defaultDirection="desc" descKey="lastViewedAt:desc" key="lastViewedAt" title="Date Played" />
            <Sort defaultDirection="desc" descKey="viewCount:desc" key="viewCount" title="Plays" />
            <Sort defaultDirection="desc" descKey="random:desc" key="random" title="Randomly" />
            <Field key="album.title" title="Album Title" type="string" />
            <Field key="album.year" subType="year" title="Year" type="integer" />
            <Field key="album.decade" subType="decade" title="Album Decade" type="integer" />
            <Field key="album.genre" title="Album Genre" type="tag" />
            <Field key="album.viewCount" title="Album Plays" type="integer" />
            <Field key="album.lastViewedAt" title="Album Last Played" type="date" />
            <Field key="album.userRating" subType="rating" title="Album Rating" type="integer" />
            <Field key="album.rating" subType="rating" title="Album Critic Rating" type="integer" />
            <Field key="album.decade" subType="decade" title="Album Decade" type="integer" />
            <Field key="album.studio" title="Record Label" type="string" />
            <Field key="album.mood" title="Album Mood" type="tag" />
            <Field key="album.style" title="Album Style" type="tag" />
            <Field key="album.format" title="Album Format" type="tag" />
            <Field key="album.subformat" title="Album Type" type="tag" />
            <Field key="album.collection" title="Album Collection" type="tag" />
            <Field key="album.addedAt" title="Date Album Added" type="date" />
            <Field key="album.originallyAvailableAt" title="Date Album Released" type="date" />
            <Field key="album.unmatched" title="Unmatched" type="boolean" />
            <Field key="album.source" title="Album Source" type="tag" />
            <Field key="album.label" title="Label" type="tag" />
        </Type>
        <Type key="/library/sections/3/all?type=10" type="track" title="Tracks" active="0">
            <Filter filter="mood" filterType="string" key="/library/sections/3/mood?type=10" title="Mood" type="filter" />
            <Filter filter="userRating" filterType="string" key="/library/sections/3/userRating?type=10" title="Rating" type="filter" />
            <Filter filter="source" filterType="string" key="/library/sections/3/source?type=10" title="Source" type="filter" />
            <Sort defaultDirection="asc" descKey="titleSort:desc" firstCharacterKey="/library/sections/3/firstCharacter?type=10" key="titleSort" title="Title" />
            <Sort default="asc" defaultDirection="asc" descKey="artist.titleSort:desc,album.titleSort,album.year,track.absoluteIndex,track.index,track.titleSort,track.id" firstCharacterKey="/library/sections/3/firstCharacter?type=10" key="artist.titleSort,album.titleSort,album.year,track.absoluteIndex,track.index,track.titleSort,track.id" title="Album Artist" />
            <Sort defaultDirection="desc" descKey="originalTitle:desc" key="originalTitle" title="Artist" />
            <Sort defaultDirection="asc" descKey="album.titleSort:desc" key="album.titleSort" title="Album" />
            <Sort defaultDirection="desc" descKey="userRating:desc" key="userRating" title="Rating" />
            <Sort defaultDirection="desc" descKey="duration:desc" key="duration" title="Duration" />
            <Sort defaultDirection="desc" descKey="viewCount:desc" key="viewCount" title="Plays" />
            <Sort defaultDirection="desc" descKey="addedAt:desc" key="addedAt" title="Date Added" />
            <Sort defaultDirection="desc" descKey="lastViewedAt:desc" key="lastViewedAt" title="Date Played" />
            <Sort defaultDirection="desc" descKey="lastRatedAt:desc" key="lastRatedAt" title="Date Rated" />
            <Sort defaultDirection="desc" descKey="random:desc" key="random" title="Randomly" />
            <Sort defaultDirection="desc" descKey="ratingCount:desc" key="ratingCount" title="Popularity" />
            <Sort defaultDirection="desc" descKey="mediaBitrate:desc" key="mediaBitrate" title="Bitrate" />
            <Field key="track.mood" title="Track Mood" type="tag" />
            <Field key="track.title" title="Track Title" type="string" />
            <Field key="track.viewCount" title="Track Plays" type="integer" />
            <Field key="track.lastViewedAt" title="Track Last Played" type="date" />
            <Field key="track.skipCount" title="Track Skips" type="integer" />
            <Field key="track.lastSkippedAt" title="Track Last Skipped" type="date" />
            <Field key="track.userRating" subType="rating" title="Track Rating" type="integer" />
            <Field key="track.lastRatedAt" title="Track Last Rated" type="date" />
            <Field key="track.addedAt" title="Track Added At" type="date" />
            <Field key="track.mediaSize" subType="fileSize" title="File Size" type="integer" />
            <Field key="track.mediaBitrate" subType="bitrate" title="Bitrate" type="integer" />
            <Field key="track.trash" title="Trash" type="boolean" />
            <Field key="track.source" title="Track Source" type="tag" />
        </Type>
        <Type key="/library/sections/3/folder" type="folder" title="Folders" active="0">
        </Type>
        <FieldType type="tag">
            <Operator key="=" title="is" />
            <Operator key="!=" title="is not" />
        </FieldType>
        <FieldType type="integer">
            <Operator key="=" title="is" />
            <Operator key="!=" title="is not" />
            <Operator key="&gt;&gt;=" title="is greater than" />
            <Operator key="&lt;&lt;=" title="is less than" />
        </FieldType>
        <FieldType type="string">
            <Operator key="=" title="contains" />
            <Operator key="!=" title="does not contain" />
            <Operator key="==" title="is" />
            <Operator key="!==" title="is not" />
            <Operator key="&lt;=" title="begins with" />
            <Operator key="&gt;=" title="ends with" />
        </FieldType>
        <FieldType type="boolean">
            <Operator key="=" title="is true" />
            <Operator key="!=" title="is false" />
        </FieldType>
        <FieldType type="date">
            <Operator key="&lt;&lt;=" title="is before" />
            <Operator key="&gt;&gt;=" title="is after" />
        </FieldType>
        <FieldType type="subtitleLanguage">
            <Operator key="=" title="is" />
            <Operator key="!=" title="is not" />
        </FieldType>
        <FieldType type="audioLanguage">
            <Operator key="=" title="is" />
            <Operator key="!=" title="is not" />
        </FieldType>
        <FieldType type="resolution">
            <Operator key="=" title="is" />
        </FieldType>
    </Meta>"""


# ------------------------------------------------------------------------- XML rendering
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _attrs(pairs: Iterable[tuple[str, object]]) -> str:
    """``k="v"`` pairs, escaped, skipping None values (Plex omits absent attributes)."""
    return " ".join(f'{k}="{_esc(str(v))}"' for k, v in pairs if v is not None)


def _num(value: float | None) -> str | None:
    """Plex writes integral floats without a fraction (userRating="8")."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(slots=True)
class Section:
    """One library section as ``/library/sections`` lists it."""

    key: int
    type: str  # movie | show | artist
    title: str
    agent: str
    scanner: str
    uuid: str
    location: str
    catalogue: Catalogue | None = None
    created_at: int = 1_600_000_000
    updated_at: int = 1_700_000_000
    scanned_at: int = 1_734_000_000

    @property
    def art(self) -> str:
        return f"/:/resources/{self.type}-fanart.jpg"

    @property
    def thumb(self) -> str:
        return f"/:/resources/{self.type}.png"

    def xml(self) -> str:
        head = _attrs((
            ("allowSync", "1"), ("art", self.art),
            ("composite", f"/library/sections/{self.key}/composite/{self.scanned_at}"),
            ("filters", "1"), ("refreshing", "0"), ("thumb", self.thumb), ("key", self.key),
            ("type", self.type), ("title", self.title), ("agent", self.agent),
            ("scanner", self.scanner), ("language", "en-US"), ("uuid", self.uuid),
            ("updatedAt", self.updated_at), ("createdAt", self.created_at),
            ("scannedAt", self.scanned_at), ("content", "1"), ("directory", "1"),
            ("contentChangedAt", self.scanned_at % 1_000_000), ("hidden", "0")))
        return (f"<Directory {head}>\n<Location {_attrs((('id', self.key), ('path', self.location)))}"
                f" />\n</Directory>\n")

    def library_attrs(self) -> list[tuple[str, object]]:
        return [("librarySectionID", self.key), ("librarySectionTitle", self.title),
                ("librarySectionUUID", self.uuid)]


_NEEDS_ESCAPE = re.compile(r'[&<>"\n\r\t]')


def _esc(value: str) -> str:
    """Escape an attribute value; most values need nothing, so check before translating."""
    return value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _album_parts(album: Album, section: Section, artist: Artist | None) -> tuple[bytes, bytes]:
    """(element head with Genre children, Guid children), cached on the album.

    One f-string per album (the attribute order of a real album, see ha_album.xml):
    this runs once per album, but for 100,000 albums it is most of a cold listing.
    """
    cached = album.render_cache.get("xml")
    if cached is not None:
        return cached
    d = album.details
    rk, ark = album.rating_key, album.artist_rating_key
    artist_ts = artist.updated_at if artist else album.updated_at
    studio = f' studio="{_esc(d.studio)}"' if d.studio else ""
    original = f' originalTitle="{_esc(album.original_title)}"' if album.original_title else ""
    viewed = (f' viewCount="{d.view_count}" lastViewedAt="{d.last_viewed_at}"'
              if d.view_count and d.last_viewed_at else "")
    year = f' year="{album.year}"' if album.year else ""
    released = (f' originallyAvailableAt="{d.originally_available_at}"'
                if d.originally_available_at else "")
    rating = f' userRating="{_num(d.user_rating)}"' if d.user_rating is not None else ""
    sid = section.key
    head = (
        f'<Directory ratingKey="{rk}" key="/library/metadata/{rk}/children" '
        f'parentRatingKey="{ark}" guid="{_esc(album.guid)}" parentGuid="{_esc(album.parent_guid)}"'
        f'{studio} type="album" title="{_esc(album.title)}" parentKey="/library/metadata/{ark}" '
        f'librarySectionTitle="{_esc(section.title)}" librarySectionID="{sid}" '
        f'librarySectionKey="/library/sections/{sid}" parentTitle="{_esc(album.parent_title)}"'
        f'{original} summary="{_esc(d.summary)}" index="1"{viewed}{year} '
        f'thumb="/library/metadata/{rk}/thumb/{album.updated_at}" '
        f'art="/library/metadata/{ark}/art/{artist_ts}" '
        f'parentThumb="/library/metadata/{ark}/thumb/{artist_ts}"{released} '
        f'leafCount="{album.track_count}" '
        f'viewedLeafCount="{album.track_count if d.view_count else 0}"{rating} '
        f'addedAt="{album.added_at}" updatedAt="{album.updated_at}" '
        f'loudnessAnalysisVersion="2" musicAnalysisVersion="1">\n')
    genres = "".join(f'<Genre tag="{_esc(g)}" />\n' for g in d.genres)
    guids = "".join(f'<Guid id="{_esc(g)}" />\n' for g in d.external_guids)
    parts = ((head + genres).encode(), guids.encode())
    album.render_cache["xml"] = parts
    return parts


_CLOSE_DIRECTORY = b"</Directory>\n"


def _artist_xml(artist: Artist, section: Section) -> bytes:
    cached = artist.render_cache.get("xml")
    if cached is None:
        head = _attrs((
            ("ratingKey", artist.rating_key), ("key", f"/library/metadata/{artist.rating_key}/children"),
            ("guid", artist.guid), ("type", "artist"), ("title", artist.title),
            ("librarySectionTitle", section.title), ("librarySectionID", section.key),
            ("librarySectionKey", f"/library/sections/{section.key}"), ("summary", ""),
            ("index", 1), ("thumb", artist.thumb),
            ("art", f"/library/metadata/{artist.rating_key}/art/{artist.updated_at}"),
            ("addedAt", artist.added_at), ("updatedAt", artist.updated_at)))
        cached = f"<Directory {head}>\n</Directory>\n".encode()
        artist.render_cache["xml"] = cached
    return cached


def _track_xml(track: Track, album: Album, section: Section, artist: Artist | None) -> bytes:
    ark = album.artist_rating_key
    artist_thumb = artist.thumb if artist else album.thumb
    ext = track.file.rsplit(".", 1)[-1]
    profile = "lc" if track.audio_codec == "aac" else None
    head = _attrs((
        ("ratingKey", track.rating_key), ("key", f"/library/metadata/{track.rating_key}"),
        ("parentRatingKey", album.rating_key), ("grandparentRatingKey", ark),
        ("guid", track.guid), ("parentGuid", album.guid), ("grandparentGuid", album.parent_guid),
        ("type", "track"), ("title", track.title), ("grandparentKey", f"/library/metadata/{ark}"),
        ("parentKey", f"/library/metadata/{album.rating_key}"),
        ("librarySectionTitle", section.title), ("librarySectionID", section.key),
        ("librarySectionKey", f"/library/sections/{section.key}"),
        ("grandparentTitle", album.parent_title), ("parentTitle", album.title),
        ("originalTitle", track.original_title), ("summary", ""), ("index", track.index),
        ("parentIndex", 1), ("parentYear", album.year), ("thumb", album.thumb),
        ("parentThumb", album.thumb), ("grandparentThumb", artist_thumb),
        ("duration", track.duration), ("addedAt", track.added_at),
        ("updatedAt", track.updated_at)))
    media = _attrs((
        ("id", track.media_id), ("duration", track.duration), ("bitrate", track.bitrate),
        ("audioChannels", track.audio_channels), ("audioCodec", track.audio_codec),
        ("container", track.container), ("audioProfile", profile)))
    part = _attrs((
        ("id", track.part_id),
        ("key", f"/library/parts/{track.part_id}/{track.updated_at}/file.{ext}"),
        ("duration", track.duration), ("file", track.file), ("size", track.size),
        ("audioProfile", profile), ("container", track.container)))
    return (f"<Track {head}>\n<Media {media}>\n<Part {part} />\n</Media>\n</Track>\n").encode()


def _container(attrs: Iterable[tuple[str, object]], parts: Sequence[bytes],
               meta: bytes = b"") -> bytes:
    return b"".join((XML_DECL, f"<MediaContainer {_attrs(attrs)}>\n".encode(), meta,
                     *parts, b"</MediaContainer>\n"))


# ----------------------------------------------------------------------------- failures
@dataclass(slots=True)
class _Failure:
    mode: str
    count: int | None
    path: str | None
    after: int
    seconds: float
    seen: int = 0
    fired: int = 0

    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


class _Failures:
    """Injected faults: each rule skips its first ``after`` matching requests, then
    fires on the next ``count`` (None: on every one until cleared)."""

    def __init__(self) -> None:
        self._rules: list[_Failure] = []
        self._lock = threading.Lock()

    def add(self, rule: _Failure) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> _Failure | None:
        with self._lock:
            chosen = None
            for rule in self._rules:
                if rule.path and not path.startswith(rule.path):
                    continue
                rule.seen += 1
                if chosen is None and rule.seen > rule.after and not rule.exhausted():
                    rule.fired += 1
                    chosen = rule
            self._rules = [r for r in self._rules if not r.exhausted()]
            return chosen

    def describe(self) -> list[dict]:
        with self._lock:
            return [{"mode": r.mode, "count": r.count, "path": r.path, "after": r.after,
                     "seconds": r.seconds, "seen": r.seen, "fired": r.fired} for r in self._rules]


# ---------------------------------------------------------------------- album selection
_RELATIVE = re.compile(r"^-(\d+)(mon|s|m|h|d|w|y)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mon": 2_592_000,
                 "y": 31_536_000}


def _timestamp(value: str) -> int | None:
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


def _album_predicates(pairs: Sequence[tuple[str, str]]) -> list[Callable[[Album], bool]]:
    """Plex filter query parameters (``title=``, ``addedAt>>=``, ``year<<=``, ``guid=``,
    ``artist.id=``) as predicates. Unknown parameters are ignored, as Plex does."""
    preds: list[Callable[[Album], bool]] = []
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
            number = _timestamp(value) if field_name != "year" else \
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


class _ResultCache:
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
                and (since := _timestamp(filters[0][1])) is not None:
            result: Sequence[Album] = catalogue.added_since(since)  # bisect, no scan
        else:
            preds = _album_predicates(filters)
            result = [a for a in catalogue.ordered(order) if all(p(a) for p in preds)]
        with self._lock:
            self._items[key] = result
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return result


class _TrackListing(Sequence):
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

    def __getitem__(self, item):  # type: ignore[override]
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


# ----------------------------------------------------------------- background workers
class _Worker:
    """A daemon thread running submitted jobs in order (webhook posts, notifications),
    so HTTP answers are never delayed by them."""

    def __init__(self, name: str) -> None:
        self._queue: "queue.Queue[tuple | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable, *args: Any) -> None:
        self._queue.put((fn, args))

    def _run(self) -> None:
        while True:  # ends on the None sentinel put by stop()
            job = self._queue.get()
            try:
                if job is None:
                    return
                fn, args = job
                fn(*args)
            except Exception:  # a failing job must not kill the worker
                log.exception("simulator background job failed")
            finally:
                self._queue.task_done()

    @property
    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)


# ------------------------------------------------------------------------- HTTP handler
_METADATA = re.compile(r"^/library/metadata/(\d+(?:,\d+)*)$")
_METADATA_SUB = re.compile(r"^/library/metadata/(\d+)/(children|allLeaves|thumb|art)(?:/\d+)?$")
_SECTION = re.compile(r"^/library/sections/(\d+)(?:/(all|search|recentlyAdded|collections|"
                      r"refresh|firstCharacter))?$")


class _Response(Exception):
    """Raised by route code to answer right away with a status and body."""

    def __init__(self, status: int, body: bytes = b"", ctype: str = "text/html") -> None:
        super().__init__(status)
        self.status, self.body, self.ctype = status, body, ctype


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server: "_HTTPServer"

    # quiet: the test output is not the place for an access log
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

    def version_string(self) -> str:
        return f"PlexMediaServer/{PLEX_VERSION}"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    # ------------------------------------------------------------------ plumbing
    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise _Response(400, _html_error(400)) from None
        if n > 8 << 20:
            raise _Response(413, b"")
        return self.rfile.read(n)

    def _send(self, status: int, body: bytes, ctype: str = XML_TYPE,
              extra: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Plex-Protocol", "1.0")
        self.send_header("Cache-Control", "no-cache")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if self._drop:
            # "drop_connection": a few bytes of the body, then the socket goes away
            self.wfile.write(body[:max(1, min(len(body) // 2, 512))])
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _dispatch(self, method: str) -> None:
        self._drop = False
        self._no_total_size = False
        sim: SimulatedPlex = self.server.sim
        try:
            split = urlsplit(self.path)
            path = unquote(split.path) or "/"
            if len(path) > 1:
                path = path.rstrip("/") or "/"
            pairs = parse_qsl(split.query, keep_blank_values=True)
            query = dict(pairs)
            body = self._read_body()
            if path.startswith("/_simulator/") or path == "/_simulator":
                self._control(sim, method, path, body)
                return
            sim._log_request(method, path, query, dict(self.headers.items()))
            failure = sim._failures.take(path)
            if failure is not None and self._fail(sim, failure):
                return
            token = self.headers.get("X-Plex-Token") or query.get("X-Plex-Token")
            if path != "/identity" and not sim._token_ok(token):
                raise _Response(401, _html_error(401))
            if path == NOTIFICATIONS_PATH:
                self._websocket(sim)
                return
            status, payload = _route(sim, method, path, query, pairs, self.headers,
                                     self._no_total_size)
            if isinstance(payload, tuple):  # (body, content type)
                self._send(status, payload[0], payload[1])
            else:
                self._send(status, payload)
        except _Response as answer:
            self._send(answer.status, answer.body, answer.ctype)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:  # a simulator bug must still answer like a server would
            log.exception("simulated Plex failed on %s %s", method, self.path)
            self.close_connection = True
            self._send(500, _html_error(500), "text/html")

    def _fail(self, sim: SimulatedPlex, rule: _Failure) -> bool:
        """Apply an injected fault; True when the request has been fully answered."""
        mode = rule.mode
        if mode == "slow":
            sim._stopping.wait(min(rule.seconds, 300.0))
            return False
        if mode == "no_total_size":
            self._no_total_size = True
            return False
        if mode == "drop_connection":
            self._drop = True
            return False
        if mode == "unauthorized":
            raise _Response(401, _html_error(401))
        if mode == "error500":
            raise _Response(500, _html_error(500))
        if mode == "error503":
            raise _Response(503, _html_error(503))
        if mode == "malformed_xml":
            raise _Response(200, XML_DECL + b'<MediaContainer size="2" totalSize="2" '
                            b'identifier="com.plexapp.plugins.library">\n<Directory ratingKey="1'
                            b'" title="Broken & <unclosed', XML_TYPE)
        return False

    # ------------------------------------------------------------------ websocket
    def _websocket(self, sim: SimulatedPlex) -> None:
        key = self.headers.get("Sec-WebSocket-Key")
        if not key or "websocket" not in self.headers.get("Upgrade", "").lower():
            raise _Response(400, _html_error(400))
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept_key(key))
        self.end_headers()
        self.wfile.flush()
        client = WebSocketClient(self.connection, self.address_string())
        sim._hub.add(client)
        try:
            serve_connection(client, self.rfile)
        finally:
            sim._hub.discard(client)
            self.close_connection = True

    # ------------------------------------------------------------------ control API
    def _control(self, sim: SimulatedPlex, method: str, path: str, body: bytes) -> None:
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._send_json(400, _error("bad_json", "body must be a JSON object"))
            return
        parts = path.split("/")[2:]  # after "/_simulator"
        if parts == ["albums"] and method == "POST":
            try:
                album = sim.add_album(**_album_args(data))
            except (TypeError, ValueError) as exc:
                self._send_json(400, _error("invalid_album", str(exc)))
                return
            self._send_json(201, album_json(album))
        elif len(parts) == 2 and parts[0] == "albums" and method in ("DELETE", "GET"):
            album = sim.catalogue.get_album(parts[1])
            if album is None:
                self._send_json(404, _error("not_found", f"no album {parts[1]}"))
            elif method == "GET":
                self._send_json(200, album_json(album))
            else:
                self._send_json(200, album_json(sim.remove_album(parts[1])))
        elif parts == ["webhooks"] and method == "POST":
            urls = data.get("urls", [data["url"]] if data.get("url") else [])
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                self._send_json(400, _error("invalid_urls", "urls must be a list of strings"))
                return
            sim.set_webhook_urls(urls)
            self._send_json(200, {"webhook_urls": sim.webhook_urls})
        elif parts == ["failures"] and method == "POST":
            try:
                sim.set_failure(str(data.get("mode")), data.get("count"), path=data.get("path"),
                                after=int(data.get("after") or 0),
                                seconds=float(data.get("seconds") or 2.0))
            except (TypeError, ValueError) as exc:
                self._send_json(400, _error("invalid_failure", str(exc)))
                return
            self._send_json(200, {"failures": sim._failures.describe()})
        elif parts == ["failures"] and method == "DELETE":
            sim.clear_failures()
            self._send_json(200, {"failures": []})
        elif parts == ["state"] and method == "GET":
            self._send_json(200, sim.state())
        else:
            self._send_json(404, _error("not_found", f"no control endpoint {method} {path}"))


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "fields": {}}}


_ALBUM_ARGS = {"title", "author", "narrator", "asin", "tracks", "year", "summary",
               "asin_source", "guid_kind", "parent_title", "series", "series_index",
               "user_rating", "genres", "studio", "webhook_per_track"}


def _album_args(data: dict) -> dict:
    unknown = set(data) - _ALBUM_ARGS
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if not isinstance(data.get("title"), str) or not isinstance(data.get("author"), str):
        raise ValueError("title and author (strings) are required")
    tracks = data.get("tracks")
    if tracks is not None and not isinstance(tracks, (int, list)):
        raise ValueError("tracks must be a count or a list")
    if data.get("asin_source") is not None and data["asin_source"] not in ASIN_SOURCES:
        raise ValueError(f"asin_source must be one of {list(ASIN_SOURCES)}")
    return dict(data)


def album_json(album: Album) -> dict:
    """The snake_case JSON the control API returns for an album."""
    return {
        "rating_key": album.rating_key, "guid": album.guid, "title": album.title,
        "parent_title": album.parent_title, "author": album.author, "narrator": album.narrator,
        "asin": album.asin, "exposed_asin": album.exposed_asin, "asin_source": album.asin_source,
        "year": album.year, "added_at": album.added_at, "updated_at": album.updated_at,
        "section_id": album.section_id, "artist_rating_key": album.artist_rating_key,
        "duration": album.duration, "folder": album.folder, "thumb": album.thumb,
        "tracks": [{"rating_key": t.rating_key, "title": t.title, "duration": t.duration,
                    "file": t.file} for t in album.tracks],
    }


# ------------------------------------------------------------------------------ routes
def _paging(query: dict, headers: Any) -> tuple[int, int | None, bool]:
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


def _route(sim: "SimulatedPlex", method: str, path: str, query: dict,
           pairs: list[tuple[str, str]], headers: Any, no_total_size: bool
           ) -> tuple[int, bytes | tuple[bytes, str]]:
    if method == "DELETE":
        match = _METADATA.match(path)
        if match and "," not in match.group(1):
            return sim._delete_item(match.group(1))
        raise _Response(404, _html_error(404))
    if method not in ("GET", "HEAD"):
        raise _Response(404, _html_error(404))
    if path == "/":
        return 200, sim._root_xml()
    if path == "/identity":
        return 200, _container((("size", 0), ("apiVersion", "1.1.1"), ("claimed", "1"),
                                ("machineIdentifier", sim.machine_identifier),
                                ("version", PLEX_VERSION)), ())
    if path == "/library":
        return 200, _container((("size", 3), ("allowSync", "0"), ("art", "/:/resources/library-art.png"),
                                ("content", ""), ("identifier", LIBRARY_ID),
                                ("mediaTagPrefix", MEDIA_TAG_PREFIX),
                                ("mediaTagVersion", MEDIA_TAG_VERSION),
                                ("title1", "Plex Library"), ("title2", "")),
                               (b'<Directory key="sections" title="Library Sections" />\n',
                                b'<Directory key="recentlyAdded" title="Recently Added Content" />\n',
                                b'<Directory key="onDeck" title="On Deck Content" />\n'))
    if path == "/library/sections":
        return 200, _container((("size", len(sim.sections)), ("allowSync", "0"),
                                ("identifier", LIBRARY_ID), ("mediaTagPrefix", MEDIA_TAG_PREFIX),
                                ("mediaTagVersion", MEDIA_TAG_VERSION), ("title1", "Plex Library")),
                               [s.xml().encode() for s in sim.sections.values()])
    if path == "/library/recentlyAdded":
        section = sim.sections[3]
        return 200, sim._listing(section, {"type": "9", "sort": "addedAt:desc", **query},
                                 [("sort", "addedAt:desc")], headers, no_total_size)
    match = _SECTION.match(path)
    if match:
        section = sim.sections.get(int(match.group(1)))
        if section is None:
            raise _Response(404, _html_error(404))
        action = match.group(2)
        if action is None:
            return 200, _section_browse(section)
        if action == "refresh":
            sim._record_refresh(section, query)
            return 200, (b"", XML_TYPE)
        if action == "collections":
            return 200, _collections(section, query, headers)
        if action == "recentlyAdded":
            return 200, sim._listing(section, {"type": "9", "sort": "addedAt:desc", **query},
                                     [("sort", "addedAt:desc"), *pairs], headers, no_total_size)
        if action == "firstCharacter":
            return 200, _container((("size", 0),), ())
        return 200, sim._listing(section, query, pairs, headers, no_total_size)
    match = _METADATA.match(path)
    if match:
        return 200, sim._metadata(match.group(1).split(","))
    match = _METADATA_SUB.match(path)
    if match:
        rk, sub = match.groups()
        if sub in ("thumb", "art"):
            if sim._find(rk) is None:
                raise _Response(404, _html_error(404))
            return 200, (TINY_JPEG, "image/jpeg")
        return 200, sim._children(rk, sub, query, headers, no_total_size)
    raise _Response(404, _html_error(404))


def _section_browse(section: Section) -> bytes:
    keys = (("all", "All Artists"), ("albums", "By Album"), ("genre", "By Genre"),
            ("recentlyAdded", "Recently Added"), ("folder", "By Folder"), ("search?type=9", "Search Albums..."))
    parts = [f"<Directory {_attrs((('key', k), ('title', t)))} />\n".encode() for k, t in keys]
    return _container((("size", len(parts)), ("allowSync", "0"), ("art", section.art),
                       ("identifier", LIBRARY_ID), ("librarySectionID", section.key),
                       ("librarySectionTitle", section.title),
                       ("librarySectionUUID", section.uuid), ("mediaTagPrefix", MEDIA_TAG_PREFIX),
                       ("mediaTagVersion", MEDIA_TAG_VERSION), ("thumb", section.thumb),
                       ("title1", section.title), ("viewGroup", "secondary"),
                       ("viewMode", "65592")), parts)


def _collections(section: Section, query: dict, headers: Any) -> bytes:
    """No collections; with ``includeMeta=1`` the Meta block python-plexapi also reads."""
    meta = b""
    if query.get("includeMeta") == "1":
        meta = (f'<Meta>\n<Type key="/library/sections/{section.key}/collections" '
                f'type="collection" title="Collections" active="1">\n'
                f'<Sort default="asc" defaultDirection="asc" descKey="titleSort:desc" '
                f'key="titleSort" title="Title" />\n'
                f'<Sort defaultDirection="desc" descKey="addedAt:desc" key="addedAt" '
                f'title="Date Added" />\n</Type>\n</Meta>\n').encode()
    start, _size, paged = _paging(query, headers)
    attrs = [("size", 0)]
    if paged:
        attrs += [("totalSize", 0), ("offset", start)]
    attrs += [("allowSync", "0"), ("identifier", LIBRARY_ID), *section.library_attrs(),
              ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION),
              ("title1", section.title), ("title2", "Collections"), ("viewGroup", "secondary")]
    return _container(attrs, (), meta)


# ---------------------------------------------------------------------------- the server
class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handlers may idle; stop() closes their sockets
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], sim: "SimulatedPlex") -> None:
        self.sim = sim
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN, which can stall without DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        log.exception("simulated Plex: error while handling a request from %s", client_address)


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
                 friendly_name: str = "Simulated Plex", timeline_delay: float = 0.02) -> None:
        self.seed = seed
        self._catalogue = catalogue if catalogue is not None else build_catalogue(books, seed)
        self._music = build_music_catalogue(seed)
        self._token = token
        self._tokens = {token}
        self.host = host
        self._port = port
        self._machine_identifier = machine_identifier or _default_machine_identifier(seed)
        self.friendly_name = friendly_name
        self.allow_deletion = allow_deletion
        self.webhook_per_track = webhook_per_track
        self.timeline_delay = timeline_delay
        self._webhook_urls = list(webhook_urls)
        self._failures = _Failures()
        self._results = _ResultCache()
        self._hub = WebSocketHub()
        self._log: collections.deque = collections.deque(maxlen=REQUEST_LOG_LIMIT)
        self.refreshes: list[dict] = []
        self.webhook_deliveries: collections.deque = collections.deque(maxlen=1000)
        self._stopping = threading.Event()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ws_worker: _Worker | None = None
        self._webhook_worker: _Worker | None = None
        self._http: requests.Session | None = None
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
        return self._token

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
        return list(self._webhook_urls)

    def set_webhook_urls(self, urls: Iterable[str]) -> None:
        self._webhook_urls = list(urls)

    @property
    def websocket_clients(self) -> int:
        return self._hub.count

    def disconnect_websockets(self, *, graceful: bool = False) -> int:
        """Drop every notification socket while the server keeps running (to test
        reconnects); ``graceful`` sends a close frame (1001) first. Returns how many."""
        return self._hub.close_all(graceful=graceful)

    def add_token(self, token: str) -> None:
        """Accept another token (e.g. a per-user server access token)."""
        self._tokens.add(token)

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
        self._stopping.clear()
        self._server = _HTTPServer((self.host, self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"simulated-plex-{self._port}", daemon=True)
        self._thread.start()
        self._http = requests.Session()
        self._ws_worker = _Worker("simulated-plex-timeline")
        self._webhook_worker = _Worker("simulated-plex-webhooks")
        return self.url

    def stop(self) -> None:
        """Stop serving; open connections (websockets included) are cut, as when a real
        server goes away, so notification listeners see a disconnect."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        for worker in (self._ws_worker, self._webhook_worker):
            if worker is not None:
                worker.stop()
        self._hub.close_all(graceful=False)
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        if self._http is not None:
            self._http.close()
        self._server = self._thread = self._http = None
        self._ws_worker = self._webhook_worker = None

    def __enter__(self) -> "SimulatedPlex":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until queued notifications and webhook posts are done (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(w is None or w.pending == 0 for w in (self._ws_worker, self._webhook_worker)):
                return True
            time.sleep(0.01)
        return False

    def prerender(self) -> int:
        """Render every album's XML now (it is otherwise rendered on first listing)."""
        section, cat = self.sections[3], self._catalogue
        gc_was_enabled = gc.isenabled()
        gc.disable()  # allocation-only loop: cyclic GC passes over a big heap are waste
        try:
            for album in cat.ordered():
                _album_parts(album, section, cat.artists.get(album.artist_rating_key))
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
        before answering normally).
        """
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {FAILURE_MODES}")
        if count is not None and int(count) < 1:
            raise ValueError("count must be >= 1 or None")
        self._failures.add(_Failure(mode, None if count is None else int(count), path,
                                    max(0, int(after)), float(seconds)))

    def clear_failures(self) -> None:
        self._failures.clear()

    def _log_request(self, method: str, path: str, query: dict, headers: dict) -> None:
        self._log.append((method, path, query, headers))

    def _token_ok(self, token: str | None) -> bool:
        return token is not None and token in self._tokens

    def _record_refresh(self, section: Section, query: dict) -> None:
        self.refreshes.append({"section_id": section.key, "path": query.get("path"),
                               "force": query.get("force") == "1", "at": time.time()})

    def state(self) -> dict:
        """What ``GET /_simulator/state`` returns."""
        return {"url": self.url, "machine_identifier": self.machine_identifier,
                "albums": len(self._catalogue), "artists": len(self._catalogue.artists),
                "webhook_urls": self.webhook_urls, "websocket_clients": self.websocket_clients,
                "refreshes": self.refreshes[-20:], "failures": self._failures.describe(),
                "webhook_deliveries": list(self.webhook_deliveries)[-20:],
                "allow_deletion": self.allow_deletion}

    # ------------------------------------------------------------------ catalogue changes
    def add_album(self, title: str, author: str, narrator: str | None = None,
                  asin: str | None = None, *, webhook_per_track: bool | None = None,
                  **kwargs: Any) -> Album:
        """Add a book to section 3 (see ``Catalogue.add_album``), then, in the background,
        push timeline notifications and post ``library.new`` webhooks."""
        album = self._catalogue.add_album(title, author, narrator, asin, **kwargs)
        self._announce_new(album, self.webhook_per_track if webhook_per_track is None
                           else webhook_per_track)
        return album

    def remove_album(self, rating_key: str | int) -> Album:
        """Remove an album; notifies websocket clients with state 9."""
        album = self._catalogue.remove_album(rating_key)
        self._announce_deleted(album)
        return album

    def update_album(self, rating_key: str | int, /, **changes: Any) -> Album:
        album = self._catalogue.update_album(rating_key, **changes)
        if self._ws_worker is not None:
            self._ws_worker.submit(self._broadcast, [timeline_entry(
                section_id=album.section_id, item_id=album.rating_key, item_type=9,
                title=album.title, state=5, updated_at=album.updated_at)])
        return album

    def _announce_new(self, album: Album, per_track: bool) -> None:
        if self._ws_worker is not None:
            self._ws_worker.submit(self._timeline_new, album)
        if self._webhook_worker is not None and self._webhook_urls:
            items: list[Album | Track] = list(album.tracks) if per_track else [album]
            for item in items:
                self._webhook_worker.submit(self._post_webhook, list(self._webhook_urls),
                                            self._webhook_payload(album, item))

    def _announce_deleted(self, album: Album) -> None:
        if self._ws_worker is None:
            return
        now = int(time.time())
        entries = [timeline_entry(section_id=album.section_id, item_id=album.rating_key,
                                  item_type=9, title=album.title, state=9, updated_at=now,
                                  metadata_state="deleted")]
        entries += [timeline_entry(section_id=album.section_id, item_id=t.rating_key,
                                   item_type=10, title=t.title, state=9, updated_at=now,
                                   metadata_state="deleted") for t in album.tracks]
        self._ws_worker.submit(self._broadcast, entries)

    def _broadcast(self, entries: list[dict]) -> None:
        self._hub.broadcast(timeline_message(entries))

    def _timeline_new(self, album: Album) -> None:
        """The processing sequence Plex reports for a newly scanned album and its tracks."""
        sid, ts = album.section_id, album.updated_at

        def album_entry(state: int, **extra: Any) -> dict:
            return timeline_entry(section_id=sid, item_id=album.rating_key, item_type=9,
                                  title=album.title, state=state, updated_at=ts, **extra)

        def track_entries(state: int, **extra: Any) -> list[dict]:
            return [timeline_entry(section_id=sid, item_id=t.rating_key, item_type=10,
                                   title=t.title, state=state, updated_at=ts, **extra)
                    for t in album.tracks]

        steps = [
            [album_entry(0, metadata_state="created"), *track_entries(0, metadata_state="created")],
            [album_entry(1, metadata_state="queued")],
            [album_entry(2, metadata_state="processing")],
            [album_entry(3, metadata_state="processing")],
            [album_entry(4, metadata_state="processing")],
            [album_entry(5, media_state="analyzing")],
            [album_entry(5), *track_entries(5)],
        ]
        for entries in steps:
            if self._stopping.wait(self.timeline_delay):
                return
            self._broadcast(entries)

    def _webhook_payload(self, album: Album, item: Album | Track) -> dict:
        section = self.sections[album.section_id]
        common = {"librarySectionType": "artist", "librarySectionTitle": section.title,
                  "librarySectionID": section.key,
                  "librarySectionKey": f"/library/sections/{section.key}"}
        artist = self._catalogue.artists.get(album.artist_rating_key)
        if isinstance(item, Track):
            metadata = {
                **common, "ratingKey": item.rating_key, "key": f"/library/metadata/{item.rating_key}",
                "parentRatingKey": album.rating_key, "grandparentRatingKey": album.artist_rating_key,
                "guid": item.guid, "parentGuid": album.guid, "grandparentGuid": album.parent_guid,
                "type": "track", "title": item.title,
                "grandparentKey": f"/library/metadata/{album.artist_rating_key}",
                "parentKey": f"/library/metadata/{album.rating_key}",
                "grandparentTitle": album.parent_title, "parentTitle": album.title,
                "summary": "", "index": item.index, "parentIndex": 1, "thumb": album.thumb,
                "parentThumb": album.thumb,
                "grandparentThumb": artist.thumb if artist else album.thumb,
                "duration": item.duration, "addedAt": item.added_at, "updatedAt": item.updated_at}
        else:
            metadata = {
                **common, "ratingKey": album.rating_key,
                "key": f"/library/metadata/{album.rating_key}/children",
                "parentRatingKey": album.artist_rating_key, "guid": album.guid,
                "parentGuid": album.parent_guid, "type": "album", "title": album.title,
                "parentKey": f"/library/metadata/{album.artist_rating_key}",
                "parentTitle": album.parent_title, "summary": album.summary, "index": 1,
                "thumb": album.thumb, "parentThumb": artist.thumb if artist else album.thumb,
                "addedAt": album.added_at, "updatedAt": album.updated_at}
            if album.year:
                metadata["year"] = album.year
            if album.external_guids:
                metadata["Guid"] = [{"id": g} for g in album.external_guids]
        return {
            "event": "library.new", "user": True, "owner": True,
            "Account": {"id": 1, "title": "simulated-admin",
                        "thumb": f"https://plex.tv/users/{self._machine_identifier[:16]}/avatar"},
            "Server": {"title": self.friendly_name, "uuid": self._machine_identifier},
            "Metadata": metadata,
        }

    def _post_webhook(self, urls: list[str], payload: dict) -> None:
        session = self._http
        if session is None:
            return
        body = json.dumps(payload, ensure_ascii=False)
        for url in urls:
            record = {"url": url, "event": payload["event"], "type": payload["Metadata"]["type"],
                      "rating_key": payload["Metadata"]["ratingKey"], "at": time.time()}
            try:
                response = session.post(
                    url, data={"payload": body},
                    files={"thumb": ("thumb.jpg", TINY_JPEG, "image/jpeg")},
                    headers={"User-Agent": f"PlexMediaServer/{PLEX_VERSION}"}, timeout=5)
                response.close()
                record["status"] = response.status_code
            except requests.RequestException as exc:
                record["error"] = f"{type(exc).__name__}: {exc}"
            self.webhook_deliveries.append(record)

    # ------------------------------------------------------------------ responses
    def _find(self, rk: str) -> tuple[Section, Catalogue, Album | Artist | Track] | None:
        for section in (self.sections[3], self.sections[4]):
            cat = section.catalogue
            item = cat.find(rk) if cat is not None else None
            if item is not None:
                return section, cat, item
        return None

    def _root_xml(self) -> bytes:
        attrs = (
            ("size", 22), ("allowCameraUpload", "0"), ("allowChannelAccess", "1"),
            ("allowMediaDeletion", "1" if self.allow_deletion else "0"), ("allowSharing", "1"),
            ("allowSync", "1"), ("allowTuners", "0"), ("backgroundProcessing", "1"),
            ("certificate", "1"), ("companionProxy", "1"), ("countryCode", "usa"),
            ("diagnostics", "logs,databases,streaminglogs"), ("eventStream", "1"),
            ("friendlyName", self.friendly_name), ("hubSearch", "1"), ("itemClusters", "1"),
            ("livetv", "7"), ("machineIdentifier", self._machine_identifier),
            ("mediaProviders", "1"), ("multiuser", "1"), ("musicAnalysis", "2"), ("myPlex", "1"),
            ("myPlexMappingState", "mapped"), ("myPlexSigninState", "ok"),
            ("myPlexSubscription", "1"), ("myPlexUsername", "simulated-admin@example.com"),
            ("offlineTranscode", "1"),
            ("ownerFeatures", "download_certificates,federated-auth,hardware_transcoding,"
                              "music_videos,pass,webhooks"),
            ("photoAutoTag", "1"), ("platform", "Linux"), ("platformVersion", "6.1.0"),
            ("pluginHost", "1"), ("pushNotifications", "1"), ("readOnlyLibraries", "0"),
            ("requestParametersInCookie", "1"), ("streamingBrainABRVersion", "3"),
            ("streamingBrainVersion", "2"), ("sync", "1"), ("transcoderActiveVideoSessions", "0"),
            ("transcoderAudio", "1"), ("transcoderLyrics", "1"), ("transcoderPhoto", "1"),
            ("transcoderSubtitles", "1"), ("transcoderVideo", "1"),
            ("transcoderVideoBitrates", "64,96,208,320,720,1500,2000,3000,4000,8000,10000,12000,20000"),
            ("transcoderVideoQualities", "0,1,2,3,4,5,6,7,8,9,10,11,12"),
            ("transcoderVideoResolutions", "128,128,160,240,320,480,768,720,720,1080,1080,1080,1080"),
            ("updatedAt", 1_734_000_000), ("updater", "1"), ("version", PLEX_VERSION),
            ("voiceSearch", "1"))
        keys = ("activities", "butler", "channels", "clients", "diagnostics", "hubs", "library",
                "livetv", "media", "metadata", "music", "neighborhood", "playQueues", "player",
                "playlists", "resources", "search", "server", "servers", "statistics", "system",
                "transcode")
        return _container(attrs, [f'<Directory count="1" key="{k}" title="{k}" />\n'.encode()
                                  for k in keys])

    def _listing(self, section: Section, query: dict, pairs: list[tuple[str, str]],
                 headers: Any, no_total_size: bool) -> bytes:
        """``/library/sections/{id}/all`` (and search / recentlyAdded): paged items."""
        cat = section.catalogue
        try:
            libtype = int(query.get("type") or (8 if section.type == "artist" else 1))
        except ValueError:
            raise _Response(400, _html_error(400)) from None
        items: Sequence = ()
        title2, group, mode = "All Albums", "album", "65592"
        if cat is not None and libtype == 9:
            items = self._results.albums(cat, query.get("sort", ""), pairs)
        elif cat is not None and libtype == 8:
            title2, group, mode = "All Artists", "artist", "131124"
            wanted = query.get("title", "").casefold()
            with cat.lock:
                artists = list(cat.artists.values())
            items = sorted((a for a in artists if wanted in a.title.casefold()),
                           key=lambda a: (sort_title(a.title), int(a.rating_key)))
        elif cat is not None and libtype == 10:
            title2, group, mode = "All Tracks", "track", "65593"
            items = _TrackListing(cat.ordered())
        start, size, paged = _paging(query, headers)
        page = items[start:] if size is None else items[start:start + size]
        parts: list[bytes] = []
        if libtype == 9 and cat is not None:
            with_guids = query.get("includeGuids") == "1"
            artists = cat.artists
            for album in page:
                head, guids = _album_parts(album, section, artists.get(album.artist_rating_key))
                parts.append(head)
                if with_guids and guids:
                    parts.append(guids)
                parts.append(_CLOSE_DIRECTORY)
        elif libtype == 8:
            parts = [_artist_xml(a, section) for a in page]
        elif libtype == 10 and cat is not None:
            parts = [_track_xml(t, a, section, cat.artists.get(a.artist_rating_key))
                     for a, t in page]
        attrs: list[tuple[str, object]] = [("size", len(page))]
        if paged and not no_total_size:
            attrs.append(("totalSize", len(items)))
        attrs += [("allowSync", "1"), ("art", section.art), ("identifier", LIBRARY_ID),
                  *section.library_attrs(), ("mediaTagPrefix", MEDIA_TAG_PREFIX),
                  ("mediaTagVersion", MEDIA_TAG_VERSION), ("nocache", "1")]
        if paged:
            attrs.append(("offset", start))
        if ":desc" not in query.get("sort", ""):
            attrs.append(("sortAsc", "1"))
        attrs += [("thumb", section.thumb), ("title1", section.title), ("title2", title2),
                  ("viewGroup", group), ("viewMode", mode)]
        meta = b""
        if query.get("includeMeta") == "1" and section.type == "artist":
            meta = (_MUSIC_META.replace("/library/sections/3/", f"/library/sections/{section.key}/")
                    + "\n").encode()
        elif query.get("includeMeta") == "1":
            meta = b"<Meta>\n</Meta>\n"
        return _container(attrs, parts, meta)

    def _metadata(self, keys: list[str]) -> bytes:
        """``/library/metadata/{rk}[,rk...]``: albums (always with Guid children, like Plex),
        tracks or artists."""
        parts: list[bytes] = []
        section = None
        found_count = 0
        for rk in keys:
            found = self._find(rk)
            if found is None:
                continue
            found_count += 1
            section, cat, item = found
            artist = cat.artists.get(getattr(item, "artist_rating_key", ""))
            if isinstance(item, Album):
                head, guids = _album_parts(item, section, artist)
                parts += [head, guids, _CLOSE_DIRECTORY]
            elif isinstance(item, Artist):
                parts.append(_artist_xml(item, section))
            else:
                album = cat.get_album(item.album_rating_key)
                parts.append(_track_xml(item, album, section,
                                        cat.artists.get(album.artist_rating_key)))
        if section is None:
            raise _Response(404, _html_error(404))
        attrs = [("size", found_count), ("allowSync", "1"), ("identifier", LIBRARY_ID), *section.library_attrs(),
                 ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION)]
        return _container(attrs, parts)

    def _children(self, rk: str, sub: str, query: dict, headers: Any,
                  no_total_size: bool) -> bytes:
        """Tracks of an album; albums (``children``) or tracks (``allLeaves``) of an artist."""
        found = self._find(rk)
        if found is None:
            raise _Response(404, _html_error(404))
        section, cat, item = found
        start, size, paged = _paging(query, headers)
        if isinstance(item, Album):
            artist = cat.artists.get(item.artist_rating_key)
            tracks = item.tracks
            page = tracks[start:] if size is None else tracks[start:start + size]
            parts = [_track_xml(t, item, section, artist) for t in page]
            total = len(tracks)
            attrs: list[tuple[str, object]] = [
                ("size", len(parts)), ("totalSize", None if not paged or no_total_size else total),
                ("allowSync", "1"), ("art", f"/library/metadata/{item.artist_rating_key}/art/"
                                            f"{artist.updated_at if artist else item.updated_at}"),
                ("grandparentRatingKey", item.artist_rating_key),
                ("grandparentThumb", artist.thumb if artist else None),
                ("grandparentTitle", item.parent_title), ("identifier", LIBRARY_ID),
                ("key", item.rating_key), *section.library_attrs(),
                ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION),
                ("nocache", "1"), ("offset", start if paged else None), ("parentIndex", 1),
                ("parentTitle", item.title), ("parentYear", item.year), ("thumb", item.thumb),
                ("title1", item.parent_title), ("title2", item.title), ("viewGroup", "track"),
                ("viewMode", "65593")]
            return _container(attrs, parts)
        if isinstance(item, Artist):
            albums = cat.albums_of_artist(item.rating_key)
            if sub == "allLeaves":
                listing = _TrackListing(albums)
                page = listing[start:] if size is None else listing[start:start + size]
                parts = [_track_xml(t, a, section, item) for a, t in page]
                total, group = len(listing), "track"
            else:
                page_albums = albums[start:] if size is None else albums[start:start + size]
                parts = []
                for album in page_albums:
                    head, _guids = _album_parts(album, section, item)
                    parts += [head, _CLOSE_DIRECTORY]
                total, group = len(albums), "album"
            attrs = [("size", len(page) if sub == "allLeaves" else len(page_albums)),
                     ("totalSize", None if not paged or no_total_size else total),
                     ("allowSync", "1"), ("art", f"/library/metadata/{item.rating_key}/art/"
                                                 f"{item.updated_at}"),
                     ("identifier", LIBRARY_ID), ("key", item.rating_key),
                     *section.library_attrs(), ("mediaTagPrefix", MEDIA_TAG_PREFIX),
                     ("mediaTagVersion", MEDIA_TAG_VERSION), ("nocache", "1"),
                     ("offset", start if paged else None), ("parentTitle", item.title),
                     ("thumb", item.thumb), ("title1", section.title), ("title2", item.title),
                     ("viewGroup", group), ("viewMode", "65592")]
            return _container(attrs, parts)
        return _container((("size", 0),), ())  # a track has no children

    def _delete_item(self, rk: str) -> tuple[int, bytes]:
        """``DELETE /library/metadata/{rk}``. With media deletion disabled Plex answers
        403 Forbidden (python-plexapi raises BadRequest); unknown keys are 404."""
        found = self._find(rk)
        if found is None:
            raise _Response(404, _html_error(404))
        if not self.allow_deletion:
            raise _Response(403, _html_error(403))
        section, cat, item = found
        if cat is not self._catalogue:
            raise _Response(403, _html_error(403))
        if isinstance(item, Album):
            self.remove_album(item.rating_key)
        elif isinstance(item, Artist):
            for album in cat.albums_of_artist(item.rating_key):
                self.remove_album(album.rating_key)
        else:  # deleting single files of a book is not simulated
            raise _Response(400, _html_error(400))
        return 200, b""


# --------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    """``plexbooks simulate``: serve a simulated Plex until Ctrl-C (or SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="plexbooks simulate",
        description="Run a simulated Plex Media Server with a sample audiobook library.")
    parser.add_argument("--port", type=int, default=32400, help="port to listen on (default 32400; 0 = any free port)")
    parser.add_argument("--books", type=int, default=300, help="number of sample audiobooks (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="catalogue seed (default 1)")
    parser.add_argument("--token", default="simulated-token", help="X-Plex-Token to accept")
    parser.add_argument("--webhook-url", action="append", default=[], metavar="URL",
                        help="post library.new webhooks here (repeatable)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--webhook-per-track", action="store_true",
                        help="send one library.new per track instead of per album")
    parser.add_argument("--no-deletion", action="store_true",
                        help='behave as if "allow media deletion" were off (DELETE -> 403)')
    from .plextv import add_arguments as add_plextv_arguments, start_beside
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
                        allow_deletion=not args.no_deletion)
    try:
        url = sim.start(prerender=True)
    except OSError as exc:
        print(f"plexbooks simulate: cannot listen on {args.host}:{args.port}: {exc}",
              file=sys.stderr)
        return 1
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set()) \
        if threading.current_thread() is threading.main_thread() else None
    print(f"Simulated Plex Media Server at {url}", flush=True)
    print(f"Token: {sim.token}", flush=True)
    print(f"machineIdentifier: {sim.machine_identifier}", flush=True)
    print(f"Audiobooks: section 3, {len(sim.catalogue)} books (seed {args.seed}); "
          f"webhooks: {', '.join(sim.webhook_urls) or 'none'}", flush=True)
    plextv = start_beside(sim, args)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not done.wait(1.0):  # bounded by Ctrl-C / SIGTERM
            pass
    except KeyboardInterrupt:
        pass
    finally:
        plextv.stop()
        sim.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
