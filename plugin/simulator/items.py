"""The items of a simulated Plex music section: artists, albums (audiobooks) and tracks
(their files), and how an album's lazily derived parts are drawn from its own seed.

Tracks and descriptive details are generated on first access (deterministically from the
album's seed) because a large library holds millions of tracks and most are never looked
at. Rating keys are allocated the way Plex does it (see ``store``).
"""
from __future__ import annotations

import hashlib
import random
import struct
import uuid
from dataclasses import dataclass, field
from typing import Sequence

from . import text, words

__all__ = [
    "Album",
    "AlbumDetails",
    "Artist",
    "Track",
    "sort_title",
]

# Generated addedAt values fall in [_EPOCH_START, _EPOCH_END) so a seed is reproducible no
# matter when it is built; albums added at run time get the real clock, which is later.
_EPOCH_START = 1_546_300_800  # 2019-01-01
_EPOCH_END = 1_748_736_000  # 2025-06-01

GUID_PLEX = "plex"
GUID_AUDNEXUS = "audnexus"
GUID_AUDIBLE = "audible"
GUID_LOCAL = "local"

# Where the Plex data exposes a book's ASIN.
ASIN_IN_AGENT_GUID = "agent"  # com.plexapp.agents.audnexus://B0..._us?lang=en
ASIN_IN_GUID_CHILD = "guid"  # <Guid id="audible://B0..."/> (includeGuids=1)
ASIN_IN_FOLDER = "folder"  # /audiobooks/Author/Title [B0...]/
ASIN_NOWHERE = "none"
ASIN_SOURCES = (ASIN_IN_AGENT_GUID, ASIN_IN_GUID_CHILD, ASIN_IN_FOLDER, ASIN_NOWHERE)


_ARTICLES = ("the ", "a ", "an ")

def sort_title(title: str) -> str:
    """Plex's ``titleSort``: case-folded, without a leading English article."""
    low = title.casefold()
    for article in _ARTICLES:
        if low.startswith(article) and len(low) > len(article):
            return low[len(article):]
    return low


@dataclass(slots=True, eq=False)
class Artist:
    """A Plex artist: in an audiobook library, an author (or whoever got tagged as one)."""

    rating_key: str
    title: str
    guid: str
    added_at: int
    updated_at: int
    album_count: int = 0
    render_cache: dict = field(default_factory=dict, repr=False)

    @property
    def thumb(self) -> str:
        return f"/library/metadata/{self.rating_key}/thumb/{self.updated_at}"


@dataclass(slots=True, eq=False)
class Track:
    """One file of a book (a Plex track with one Media and one Part)."""

    rating_key: str
    album_rating_key: str
    index: int
    title: str
    duration: int  # ms
    file: str
    size: int  # bytes
    container: str  # m4b | mp3
    audio_codec: str  # aac | mp3
    bitrate: int  # kbps
    audio_channels: int
    guid: str
    added_at: int
    updated_at: int
    original_title: str | None = None

    @property
    def media_id(self) -> int:
        return int(self.rating_key)

    @property
    def part_id(self) -> int:
        return int(self.rating_key)


@dataclass(slots=True, eq=False)
class AlbumDetails:
    """The descriptive part of an album, derived lazily from the album's seed.

    Kept apart so that building a large catalogue only draws what ordering, filtering and
    identity need; these are produced the first time anything reads them.
    """

    summary: str
    studio: str | None
    genres: tuple[str, ...]
    originally_available_at: str | None
    external_guids: tuple[str, ...]
    user_rating: float | None
    view_count: int
    last_viewed_at: int | None


@dataclass(slots=True, eq=False)
class Album:
    """A Plex album: one audiobook.

    ``parent_title`` is what Plex shows as the album artist (``parentTitle``); for poorly
    tagged books that is the narrator, while ``author`` always holds the real author(s).
    ``asin`` is the book's real ASIN; ``asin_source`` says where (if anywhere) the Plex
    data exposes it, and ``exposed_asin`` is what a perfect reader of the data can find.
    The ``AlbumDetails`` fields (``summary``, ``studio``, ...) read as album attributes.
    """

    rating_key: str
    guid: str
    title: str
    base_title: str  # the title without edition marker or series suffix
    parent_title: str
    artist_rating_key: str
    parent_guid: str
    author: str
    narrator: str | None
    asin: str | None
    asin_source: str
    file_style: str  # m4b | m4b_parts | mp3 | mp3_isbn
    track_count: int
    duration: int  # total ms: the sum of the tracks
    original_title: str | None
    year: int | None
    added_at: int
    updated_at: int
    series: str | None
    series_index: int | None
    seed: int
    nonfiction: bool = False
    section_id: int = 3
    root: str = "/audiobooks"
    folder_extra: str | None = None  # None: derived from the seed
    custom_tracks: tuple[tuple[str, int], ...] | None = None
    text: str | None = None  # a kind of real Plex text it carries (see ``text``), or None
    _details: AlbumDetails | None = field(default=None, repr=False)
    _tracks: list[Track] | None = field(default=None, repr=False)
    _sort_keys: tuple[str, str] | None = field(default=None, repr=False)
    render_cache: dict = field(default_factory=dict, repr=False)

    @property
    def details(self) -> AlbumDetails:
        if self._details is None:
            self._details = _make_details(self)
        return self._details

    @property
    def title_sort(self) -> str:
        return self.sort_keys[1]

    @property
    def sort_keys(self) -> tuple[str, str]:
        """(artist titleSort, album titleSort), cached: sorting 100,000 albums needs them."""
        if self._sort_keys is None:
            self._sort_keys = (sort_title(self.parent_title), sort_title(self.title))
        return self._sort_keys

    @property
    def folder(self) -> str:
        """The book's folder: ``/audiobooks/Author/[Series/Book N - ]Title[ [ASIN]]/``."""
        if self.folder_extra is None:
            roll = (self.seed >> 8) % 100  # a few folders carry "[Unabridged]" or a year
            self.folder_extra = " [Unabridged]" if roll < 4 else \
                f" ({self.year})" if self.year and roll < 14 else ""
        book_dir = _path_safe(self.base_title)
        if self.series and self.series_index:
            book_dir = f"{_path_safe(self.series)}/Book {self.series_index} - {book_dir}"
        if self.asin_source == ASIN_IN_FOLDER:
            book_dir += f" [{self.asin}]"
        return f"{self.root}/{_path_safe(self.author)}/{book_dir}{self.folder_extra}/"

    @property
    def exposed_asin(self) -> str | None:
        return None if self.asin_source == ASIN_NOWHERE else self.asin

    @property
    def thumb(self) -> str:
        return f"/library/metadata/{self.rating_key}/thumb/{self.updated_at}"

    @property
    def tracks(self) -> list[Track]:
        """The album's tracks, generated on first access (deterministic per album)."""
        if self._tracks is None:
            self._tracks = _make_tracks(self)
        return self._tracks

    @property
    def files(self) -> list[str]:
        return [t.file for t in self.tracks]


def _delegate(name: str) -> property:
    return property(lambda self: getattr(self.details, name),
                    lambda self, value: setattr(self.details, name, value),
                    doc=f"``details.{name}``")


_DETAIL_FIELDS = tuple(AlbumDetails.__dataclass_fields__)
for _name in _DETAIL_FIELDS:
    setattr(Album, _name, _delegate(_name))
del _name


# ------------------------------------------------------------------------------ helpers
def _hex24(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _pick(rng: random.Random | _Draws, seq: Sequence):
    """``rng.choice`` without its bounds-exact rejection sampling: ~5x faster, and the
    tiny bias is irrelevant for sample data."""
    return seq[int(rng.random() * len(seq))]




def _isbn10(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(9)]
    check = (11 - sum((10 - i) * d for i, d in enumerate(digits)) % 11) % 11
    return "".join(map(str, digits)) + ("X" if check == 10 else str(check))


def _isbn13(rng: random.Random) -> str:
    digits = [9, 7, 8] + [rng.randrange(10) for _ in range(9)]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def _path_safe(name: str) -> str:
    return name.replace("/", "-").replace(":", " -").replace("?", "")



def _summary(rng: random.Random | _Draws, title: str, narrator: str | None, series: str | None,
             index: int | None) -> str:
    if rng.random() < 0.08:
        return ""  # Plex sends summary="" when the agent found nothing
    x, y = _pick(rng, words.PLURAL).lower(), _pick(rng, words.ABSTRACT).lower()
    text = _pick(rng, words.SUMMARY_OPENERS).format(x=x, y=y)
    if series and index:
        text = f"Book {index} of {series}. " + text
    if narrator and rng.random() < 0.6:
        text += f" Narrated by {narrator}."
    return text



class _Draws:
    """Cheap deterministic uniform draws from a seed, for lazily derived fields.

    Seeding a Mersenne Twister costs more than all of an album's details together, so
    the draws are the 32 16-bit slices of a BLAKE2b digest of the seed (quality is
    irrelevant here). ``random`` is a C-level iterator step: no Python frame per draw.
    Offers the ``random()``/``getrandbits()`` subset the generators use.
    """

    __slots__ = ("random", "_seed")
    _SLICES = struct.Struct("<32H")  # more draws than any generator makes
    _SCALE = (1 / 65536).__mul__

    def __init__(self, seed: int) -> None:
        self._seed = seed.to_bytes(8, "little", signed=False)
        digest = hashlib.blake2b(self._seed, digest_size=64).digest()
        self.random = iter(map(self._SCALE, self._SLICES.unpack(digest))).__next__

    def getrandbits(self, k: int) -> int:
        raw = hashlib.blake2b(self._seed, digest_size=64, person=b"bits").digest()
        return int.from_bytes(raw, "little") >> (512 - k)


def _make_details(album: Album) -> AlbumDetails:
    """Everything descriptive, drawn from the album's own seed."""
    rng = _Draws(album.seed)
    r = rng.random
    external: tuple[str, ...] = ()
    if album.asin_source == ASIN_IN_GUID_CHILD:
        external = (f"audible://{album.asin}",)
    elif album.guid.startswith("plex://") and r() < 0.25:
        external = (f"mbid://{uuid.UUID(int=rng.getrandbits(128), version=4)}",)
    pool = words.GENRES_NONFICTION if album.nonfiction else words.GENRES_FICTION
    genres: tuple[str, ...] = ()
    if r() >= 0.15:
        first, second = _pick(rng, pool), _pick(rng, pool)
        genres = (first, second) if r() < 0.4 and second != first else (first,)
    played = r() < 0.3
    summary = _summary(rng, album.title, album.narrator, album.series, album.series_index)
    if album.text is not None:  # rare: its own generator, so the draws above stay put
        summary = text.summary(random.Random(album.seed ^ 0x7E47), album.text, summary)
    return AlbumDetails(
        summary=summary,
        studio=None if r() < 0.1 else _pick(rng, words.PUBLISHERS),
        genres=genres,
        originally_available_at=f"{album.year}-{1 + int(r() * 12):02d}-{1 + int(r() * 28):02d}"
        if album.year else None,
        external_guids=external,
        user_rating=float(_pick(rng, (2, 4, 6, 8, 8, 10, 10))) if r() < 0.15 else None,
        view_count=1 + int(r() * 3) if played else 0,
        last_viewed_at=min(_EPOCH_END, album.added_at + 3_600 + int(r() * 200 * 86_400))
        if played else None,
    )


def _make_tracks(album: Album) -> list[Track]:
    """The album's files, deterministic from ``album.seed``."""
    rng = random.Random(album.seed + 1)
    base = int(album.rating_key)
    plex_agent = album.guid.startswith("plex://")
    original = album.author if album.author != album.parent_title else None
    folder = album.folder
    if album.custom_tracks:
        specs = list(album.custom_tracks)
    else:
        n = album.track_count
        weights = [rng.uniform(0.7, 1.3) for _ in range(n)]
        scale = album.duration / sum(weights)
        durations = [int(w * scale) for w in weights]
        durations[-1] += album.duration - sum(durations)
        names = [album.base_title] if n == 1 else [f"Chapter {i}" for i in range(1, n + 1)]
        specs = list(zip(names, durations))
    style = album.file_style
    isbn = _isbn13(rng) if style == "mp3_isbn" else ""
    safe = _path_safe(album.base_title)
    out = []
    for i, (name, duration) in enumerate(specs, 1):
        if style == "m4b":
            file, container, codec, kbps = f"{folder}{safe}.m4b", "m4b", "aac", 64
        elif style == "m4b_parts":
            file, container, codec, kbps = f"{folder}{i:02d} - {safe}.m4b", "m4b", "aac", 64
        elif style == "mp3_isbn":
            file, container, codec, kbps = f"{folder}{isbn}_{i:02d}.mp3", "mp3", "mp3", 64
        else:
            file, container, codec, kbps = f"{folder}{i:02d} - {safe}.mp3", "mp3", "mp3", 128
        rk = str(base + i)
        out.append(Track(
            rating_key=rk, album_rating_key=album.rating_key, index=i, title=name,
            duration=duration, file=file, size=duration * kbps // 8, container=container,
            audio_codec=codec, bitrate=kbps, audio_channels=2 if kbps > 64 else 1,
            guid=f"plex://track/{_hex24(rng)}" if plex_agent else f"local://{rk}",
            added_at=album.added_at, updated_at=album.updated_at, original_title=original,
        ))
    return out

