"""What Plex answers, as small records: a scan builds one per album, 100,000 at a time, so
they are tuples and frozen slots classes rather than plexapi objects (which could also
reload themselves silently when an attribute is missing)."""
from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Sequence


def to_int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except ValueError:
            return None


def to_float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ServerInfo:
    machine_identifier: str
    version: str | None
    platform: str | None
    friendly_name: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"machine_identifier": self.machine_identifier, "version": self.version,
                "platform": self.platform, "friendly_name": self.friendly_name}


@dataclass(frozen=True, slots=True)
class LibrarySection:
    key: str
    title: str
    type: str
    agent: str | None
    locations: tuple[str, ...]

    @property
    def is_music(self) -> bool:
        """Audiobooks live in music sections: Plex calls their type ``artist``."""
        return self.type == "artist"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "type": self.type, "agent": self.agent,
                "locations": list(self.locations), "is_music": self.is_music}


class AlbumRecord(NamedTuple):
    """An album as Plex lists it; no tracks, durations or file paths (those are on tracks).

    A tuple, not an object per attribute: a scan builds one per album, 100,000 at a time.
    """

    rating_key: str
    guid: str | None
    title: str | None
    parent_title: str | None
    original_title: str | None
    parent_rating_key: str | None
    section_key: str | None
    year: int | None
    summary: str | None
    thumb: str | None
    user_rating: float | None
    added_at: int | None
    updated_at: int | None
    guids: tuple[str, ...] = ()
    fingerprint: str = ""

    @classmethod
    def from_attrs(cls, a: dict[str, str], guids: tuple[str, ...], section_key: str | None = None,
                   fingerprint: str | None = None) -> "AlbumRecord":
        get = a.get
        # tuple.__new__, not cls(...): the named tuple's own __new__ is a Python function, and a
        # scan makes a record of every album
        return tuple.__new__(cls, (
            get("ratingKey", ""), get("guid") or None, get("title") or None, get("parentTitle") or None,
            get("originalTitle") or None, get("parentRatingKey"), get("librarySectionID") or section_key,
            to_int(get("year")), get("summary") or None, get("thumb") or None, to_float(get("userRating")),
            to_int(get("addedAt")), to_int(get("updatedAt")), guids, fingerprint or album_fingerprint(a, guids)))

    @classmethod
    def from_element(cls, elem: ET.Element, section_key: str | None = None) -> "AlbumRecord":
        guids = tuple(g.attrib["id"] for g in elem.iter("Guid") if g.attrib.get("id"))
        return cls.from_attrs(elem.attrib, guids, section_key)


# The attributes a mirror row is made of: their fingerprint tells an unchanged album without
# building anything from it. Play counts and the like are left out on purpose.
FINGERPRINT_KEYS = ("ratingKey", "guid", "title", "parentTitle", "originalTitle", "parentRatingKey",
                    "librarySectionID", "year", "summary", "thumb", "userRating", "addedAt", "updatedAt")


_NO_VALUES = ("",) * len(FINGERPRINT_KEYS)


def album_fingerprint(attrs: dict[str, str], guids: tuple[str, ...]) -> str:
    # map() over the keys, not a comprehension: a full scan takes the fingerprint of every album
    text = "\x1f".join(map(attrs.get, FINGERPRINT_KEYS, _NO_VALUES))
    if guids:
        text = text + "\x1f" + "\x1f".join(guids)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class ListedAlbum(NamedTuple):
    """An album straight from a listing page: its raw attributes, mapped only when needed."""

    attrs: dict[str, str]
    guids: tuple[str, ...]
    section_key: str

    @property
    def guid(self) -> str | None:
        return self.attrs.get("guid") or None

    @property
    def rating_key(self) -> str:
        return self.attrs.get("ratingKey", "")

    @property
    def added_at(self) -> int | None:
        return to_int(self.attrs.get("addedAt"))

    def fingerprint(self) -> str:
        return album_fingerprint(self.attrs, self.guids)

    def record(self, fingerprint: str | None = None) -> AlbumRecord:
        return AlbumRecord.from_attrs(self.attrs, self.guids, self.section_key, fingerprint)


class TrackRecord(NamedTuple):
    """A track: where its file is and how long it plays. A tuple: a first scan reads ~5 per album."""

    rating_key: str
    parent_rating_key: str | None
    title: str | None
    original_title: str | None
    duration_ms: int | None
    files: tuple[str, ...]

    @classmethod
    def from_attrs(cls, a: dict[str, str], files: tuple[str, ...]) -> "TrackRecord":
        get = a.get
        return cls(get("ratingKey", ""), get("parentRatingKey"), get("title"), get("originalTitle") or None,
                   to_int(get("duration")), files)

    @classmethod
    def from_element(cls, elem: ET.Element) -> "TrackRecord":
        return cls.from_attrs(elem.attrib, tuple(p.attrib["file"] for p in elem.iter("Part") if p.attrib.get("file")))


class AlbumTracks(NamedTuple):
    """What an album's tracks tell the mirror: every file in order, the summed duration (None
    when no track has one) and the track artists. One per album instead of one record per
    track, so a track listing read by a child process crosses the pipe ~5x smaller."""

    files: tuple[str, ...] = ()
    duration_ms: int | None = None
    original_titles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, tracks: Sequence[TrackRecord]) -> "AlbumTracks":
        durations = [t.duration_ms for t in tracks if t.duration_ms]
        return cls(tuple(f for t in tracks for f in t.files), sum(durations) if durations else None,
                   frozenset(t.original_title for t in tracks if t.original_title))

    def merge(self, more: "AlbumTracks") -> "AlbumTracks":
        """This album's tracks followed by more of them (an album cut by a page boundary)."""
        if self.duration_ms is None or more.duration_ms is None:
            duration = self.duration_ms if more.duration_ms is None else more.duration_ms
        else:
            duration = self.duration_ms + more.duration_ms
        return AlbumTracks(self.files + more.files, duration, self.original_titles | more.original_titles)


def group_tracks(tracks: Sequence[TrackRecord]) -> list[tuple[str, AlbumTracks]]:
    """Runs of consecutive tracks of one album (``parentRatingKey``), in listing order."""
    groups: list[tuple[str, AlbumTracks]] = []
    start = 0
    for i in range(1, len(tracks) + 1):
        if i == len(tracks) or tracks[i].parent_rating_key != tracks[start].parent_rating_key:
            groups.append((tracks[start].parent_rating_key or "", AlbumTracks.of(tracks[start:i])))
            start = i
    return groups


@dataclass
class TrackGroupPage:
    """A track listing page as runs of one album's tracks (``group_tracks``); ``count``
    tracks in all."""

    offset: int
    total_size: int
    count: int
    groups: list[tuple[str, AlbumTracks]] = field(default_factory=list)
    cleaned: bool = False

    @classmethod
    def of(cls, page: "TrackPage") -> "TrackGroupPage":
        return cls(page.offset, page.total_size, len(page.tracks), group_tracks(page.tracks), page.cleaned)


@dataclass(frozen=True, slots=True)
class MetadataItem:
    """Whatever ``/library/metadata/{key}`` returned: an album, a track or an artist."""

    type: str
    rating_key: str
    parent_rating_key: str | None
    section_key: str | None
    album: AlbumRecord | None = None


@dataclass
class AlbumPage:
    offset: int
    total_size: int
    albums: Sequence[ListedAlbum | AlbumRecord] = field(default_factory=list)
    # guids whose fingerprint matched the mirror (filled when a child process read the page)
    unchanged: list[str] = field(default_factory=list)
    # Plex sent characters XML forbids and the page parsed only once they were removed
    cleaned: bool = False
    # albums the reader already mapped to mirror rows (``plugin.prepare.PreparedRow``: a listing
    # child process fills it, so that work runs on another core); ``albums`` holds the rest
    prepared: list[Any] = field(default_factory=list)


@dataclass
class TrackPage:
    offset: int
    total_size: int
    tracks: list[TrackRecord] = field(default_factory=list)
    cleaned: bool = False
