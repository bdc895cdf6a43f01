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
from typing import Protocol, Sequence

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
    folder_path: str | None = None  # where its files were placed (``/`` at the end), if given
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
        """The book's folder: ``/audiobooks/Author/[Series/Book N - ]Title[ [ASIN]]/``
        (or where its files were placed)."""
        if self.folder_path is not None:
            return self.folder_path
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
class Uniform(Protocol):
    """What the generators draw from: ``random.Random`` or the cheaper ``_Draws``."""

    def random(self) -> float: ...

    def getrandbits(self, k: int, /) -> int: ...


def _hex24(rng: Uniform) -> str:
    return f"{rng.getrandbits(96):024x}"


def _pick(rng: Uniform, seq: Sequence):
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



def _summary(rng: Uniform, title: str, narrator: str | None, series: str | None,
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


_WEIGHTS = struct.Struct("<32B")
_GUID_STEP = 0x9E3779B97F4A7C15D1B54A33  # odd: index -> distinct 96-bit track guids
_MASK96 = (1 << 96) - 1


def _weights(seed: int, n: int) -> list[float]:
    """*n* deterministic weights in [0.7, 1.3) from BLAKE2b digests of the seed: cheaper
    than seeding a Mersenne Twister per album (500,000 tracks for 100,000 books)."""
    out: list[float] = []
    block = 0
    key = seed.to_bytes(8, "little", signed=False)
    while len(out) < n:  # bounded: every digest adds 32 weights
        digest = hashlib.blake2b(key, digest_size=32, salt=block.to_bytes(16, "little")).digest()
        out += [0.7 + b * (0.6 / 256) for b in _WEIGHTS.unpack(digest)]
        block += 1
    return out[:n]


def _make_tracks(album: Album) -> list[Track]:
    """The album's files, deterministic from ``album.seed``: one ``.m4b``, parts of an
    ``.m4b`` (``Title - Part 2.m4b``) or ``.mp3`` chapters (``07 - Title.mp3``, or named
    by ISBN)."""
    base = int(album.rating_key)
    plex_agent = album.guid.startswith("plex://")
    original = album.author if album.author != album.parent_title else None
    folder = album.folder
    if album.custom_tracks:
        specs = list(album.custom_tracks)
    else:
        n = album.track_count
        weights = _weights(album.seed, n)
        scale = album.duration / sum(weights)
        durations = [int(w * scale) for w in weights]
        durations[-1] += album.duration - sum(durations)
        label = "Part" if album.file_style == "m4b_parts" else "Chapter"
        names = [album.base_title] if n == 1 else [f"{label} {i}" for i in range(1, n + 1)]
        if album.text == text.DIRTY:  # tags carry them too: track pages break as well
            names[0] = text.dirty(random.Random(album.seed ^ 0xD1), names[0])
        specs = list(zip(names, durations))
    style = album.file_style
    isbn = _isbn13(random.Random(album.seed + 1)) if style == "mp3_isbn" else ""
    safe = _path_safe(album.base_title)
    guid_base = (album.seed * 0x2545F4914F6CDD1D) & _MASK96
    if style == "m4b":
        container, codec, kbps = "m4b", "aac", 64
    elif style == "m4b_parts":
        container, codec, kbps = "m4b", "aac", 64
    elif style == "mp3_isbn":
        container, codec, kbps = "mp3", "mp3", 64
    else:
        container, codec, kbps = "mp3", "mp3", 128
    channels = 2 if kbps > 64 else 1
    added, updated = album.added_at, album.updated_at
    out = []
    for i, (name, duration) in enumerate(specs, 1):
        if style == "m4b":
            file = f"{folder}{safe}.m4b"
        elif style == "m4b_parts":
            file = f"{folder}{safe} - Part {i}.m4b"
        elif style == "mp3_isbn":
            file = f"{folder}{isbn}_{i:02d}.mp3"
        else:
            file = f"{folder}{i:02d} - {safe}.mp3"
        rk = str(base + i)
        guid = f"plex://track/{(guid_base + i * _GUID_STEP) & _MASK96:024x}" if plex_agent \
            else f"local://{rk}"
        out.append(Track(rk, album.rating_key, i, name, duration, file, duration * kbps // 8,
                         container, codec, kbps, channels, guid, added, updated, original))
    return out

