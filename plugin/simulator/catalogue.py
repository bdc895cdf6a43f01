"""A seedable, realistic sample audiobook catalogue for the simulated Plex server.

A catalogue is what one Plex music section (``type="artist"``) holds: artists (one per
``parentTitle``), albums (one per book) and tracks (the book's files). Everything is
generated from word lists with one ``random.Random(seed)``, so a seed always yields the
same catalogue, and 100,000 distinct books build in well under a second.

This module is the generator; the items are in ``items`` (tracks and details derived
lazily from each album's seed), the ``Catalogue`` container in ``store``, the word lists
in ``words`` and the fixed real books in ``curated``. Its names are re-exported here.

The generator deliberately produces the data-quality problems real libraries have:
edition markers in titles, series suffixes, several authors in one ``parentTitle``,
narrators tagged as the album artist, accents, and ASINs that are only visible in some
places (agent guids, external ``Guid`` children, bracketed folder names) or nowhere.
"""
from __future__ import annotations

import gc
import random
from typing import Iterable

from . import text, words
from .curated import CURATED
from .items import (
    _EPOCH_END,
    _EPOCH_START,
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
    _isbn10,
    _pick,
    sort_title,
)
from .store import Catalogue

__all__ = [
    "ASIN_IN_AGENT_GUID",
    "ASIN_IN_FOLDER",
    "ASIN_IN_GUID_CHILD",
    "ASIN_NOWHERE",
    "ASIN_SOURCES",
    "GUID_AUDIBLE",
    "GUID_AUDNEXUS",
    "GUID_LOCAL",
    "GUID_PLEX",
    "Album",
    "AlbumDetails",
    "Artist",
    "Catalogue",
    "Track",
    "build_catalogue",
    "build_music_catalogue",
    "sort_title",
]

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# 1,024 two-character chunks of [A-Z0-9], so an ASIN is four table lookups.
_PAIRS = tuple(_ALNUM[(i * 7919) % 36] + _ALNUM[(i * 104729 // 36) % 36] for i in range(1024))


def _b0_asin(rng: random.Random) -> str:
    n = rng.getrandbits(40)
    return f"B0{_PAIRS[n & 1023]}{_PAIRS[(n >> 10) & 1023]}{_PAIRS[(n >> 20) & 1023]}" \
           f"{_PAIRS[n >> 30]}"



class _Names:
    """Draws unique person names (authors, narrators) from the word lists."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def draw(self) -> str:
        r = self._rng.random
        name = ""
        for _ in range(64):  # bounded: collisions are rare once a middle initial is allowed
            first, last = words.FIRST[int(r() * len(words.FIRST))], words.LAST[int(r() * len(words.LAST))]
            roll = r()
            if roll < 0.05:
                name = f"{first[0]}. {words.INITIALS[int(r() * len(words.INITIALS))]}. {last}"
            elif roll < 0.20:
                name = f"{first} {words.INITIALS[int(r() * len(words.INITIALS))]}. {last}"
            else:
                name = f"{first} {last}"
            if name not in self._seen:
                break
        else:
            name = f"{name} {len(self._seen)}"
        self._seen.add(name)
        return name


class _Titles:
    """Draws unique base titles (no edition marker, no series suffix).

    The first attempt uses any pattern; a collision falls back to the pattern with by far
    the largest space, so drawing 100,000 titles needs few retries.
    """

    def __init__(self, rng: random.Random, reserved: Iterable[str] = ()) -> None:
        self._rng = rng
        self._seen: set[str] = {t.casefold() for t in reserved}

    def _fiction(self, pattern: int) -> str:
        rng = self._rng
        if pattern == 0:
            return f"The {_pick(rng, words.ADJ)} {_pick(rng, words.NOUN)}"
        if pattern == 1:
            return f"The {_pick(rng, words.NOUN)} of {_pick(rng, words.PLACE)}"
        if pattern == 2:
            return f"{_pick(rng, words.MYTH)} {_pick(rng, words.VERB3)}"
        if pattern == 3:
            return f"{_pick(rng, words.MYTH)}'s {_pick(rng, words.NOUN)}"
        if pattern == 4:
            return f"{_pick(rng, words.GERUND)} the {_pick(rng, words.NOUN)}"
        if pattern == 5:
            noun = _pick(rng, words.NOUN)
            return f"{'An' if noun[0] in 'AEIOU' else 'A'} {noun} of {_pick(rng, words.PLURAL)}"
        if pattern == 7:
            return f"{_pick(rng, words.ADJ)} {_pick(rng, words.PLURAL)}"
        if pattern == 8:
            return f"The {_pick(rng, words.FIRST)} {_pick(rng, words.NOUN)}"
        if pattern == 9:
            return f"{_pick(rng, words.PLURAL)} of {_pick(rng, words.PLACE)}"
        r = rng.random  # the fallback pattern, hot: inlined picks
        return f"The {words.ADJ[int(r() * len(words.ADJ))]} {words.NOUN[int(r() * len(words.NOUN))]} of " \
               f"{words.PLACE[int(r() * len(words.PLACE))]}"

    def _nonfiction(self, with_subtitle: bool) -> str:
        rng = self._rng
        a, b = _pick(rng, words.ABSTRACT), _pick(rng, words.ABSTRACT)
        form = int(rng.random() * 7)
        head = (f"The Power of {a}", f"The Art of {a}", f"The Science of {a}",
                f"{a} and {b}", f"On {a}", f"The {a} Code", f"Radical {a}")[form]
        if not with_subtitle:
            return head
        b = _pick(rng, words.ABSTRACT)
        form = int(rng.random() * 6)
        sub = (f"How {_pick(rng, words.PEOPLE)} Shape the World", f"A History of {b}",
               f"What {_pick(rng, words.PEOPLE)} Know About {b}", f"The Surprising Truth About {b}",
               f"Lessons from {_pick(rng, words.PLACE)}", f"Why We Need {b} and How to Find It")[form]
        return f"{head}: {sub}"

    def draw(self, nonfiction: bool = False) -> str:
        r = self._rng.random
        seen = self._seen
        title = folded = ""
        for attempt in range(32):
            if nonfiction:
                title = self._nonfiction(attempt > 0 or r() < 0.7)
            else:
                title = self._fiction(int(r() * 10) if attempt == 0 else 6)
            folded = title.casefold()
            if folded not in seen:
                break
        else:
            title = f"{title}, Volume {len(seen)}"
            folded = title.casefold()
        seen.add(folded)
        return title



# ------------------------------------------------------------------------------- builder
REAL_TEXT = 0.02  # the default share of generated books with well-formed real Plex text


def build_catalogue(books: int, seed: int = 1, *, curated: bool = True,
                    real_text: float = REAL_TEXT, dirty_text: float = 0.0) -> Catalogue:
    """A deterministic catalogue of *books* audiobooks for *seed*.

    With ``curated`` (default) the first books are a fixed set of well-known titles that
    exercise the matching traps; the rest are generated. ``real_text`` is the share of
    generated books whose text is real Plex text that is still well-formed XML
    (entities, newlines, CJK and right-to-left titles and authors, emoji, very long
    summaries); ``dirty_text`` the share whose summary holds raw control characters,
    which make their XML not well-formed (see ``text``; ``Catalogue.dirty_rating_keys``
    lists them). Both come from their own random stream: the rest of a seed's catalogue
    does not depend on them.
    """
    if books < 0:
        raise ValueError("books must be >= 0")
    for name, share in (("real_text", real_text), ("dirty_text", dirty_text)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    # Building allocates several objects per book and frees none: cyclic GC passes over
    # the growing heap are pure overhead here (about a quarter of the time at 100,000).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(books, seed, curated, real_text, dirty_text)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build(books: int, seed: int, curated: bool, real_text: float, dirty_text: float
           ) -> Catalogue:
    rng = random.Random(seed)
    r = rng.random
    cat = Catalogue(seed=seed)
    names = _Names(rng)
    titles = _Titles(rng, reserved=[row[0] for row in CURATED])
    authors = [names.draw() for _ in range(max(4, books // 3))]
    for i in range(0, len(authors) - 1, 33):  # ~3 %: "Douglas Preston, Lincoln Child"
        authors[i] = f"{authors[i]}, {authors[i + 1]}"
    narrators = [names.draw() for _ in range(max(4, books // 10))]
    # Distinct addedAt values, handed out in shuffled order: Plex's ratingKey order is
    # not its addedAt order (rescans, imports, moved folders).
    stamps = rng.sample(range(_EPOCH_START, _EPOCH_END), books)

    albums: list[Album] = []
    for row in (CURATED[:books] if curated else ()):
        albums.append(_curated_album(cat, rng, row, stamps[len(albums)]))
    first_generated = len(albums)
    text_rng = random.Random(f"text-{seed}")
    kinds = text.assign(text_rng, books - first_generated, real_text, dirty_text)
    script_titles: set[str] = set()
    while len(albums) < books:
        author = authors[int(len(authors) * r() ** 2)]  # a few prolific authors
        nonfiction = r() < 0.18
        series, count = None, 1
        if not nonfiction and r() < 0.25:
            count = min(books - len(albums), _pick(rng, (2, 3, 3, 4, 5, 7, 9)))
            word = _pick(rng, words.NOUN if r() < 0.5 else words.MYTH)
            series = (f"The {word} {_pick(rng, words.SERIES_KIND)}", f"The {_pick(rng, words.ADJ)} {word}",
                      word, f"{_pick(rng, words.PLACE).replace('the ', '').title()} "
                            f"{_pick(rng, words.SERIES_KIND)}")[int(r() * 4)]
        narrator = narrators[int(len(narrators) * r() ** 1.5)]
        for idx in range(1, count + 1):
            base = titles.draw(nonfiction)
            kind = kinds.get(len(albums) - first_generated)
            book_author = author
            if kind in (text.CJK, text.RTL):
                scripted = _script_book(text_rng, kind, script_titles)
                if scripted is not None:
                    base, book_author = scripted
            title = base
            if series:
                fmt = r()
                if fmt < 0.3:
                    title = f"{base}: {series}, Book {idx}"
                elif fmt < 0.5:
                    title = f"{base} ({series}, Book {idx})"
            roll = r()
            for marker, p in words.EDITIONS:
                if roll < p:
                    if not (marker[0] == ":" and (":" in title or "(" in title)):
                        title += marker
                    break
                roll -= p
            if kind is not None:
                title = text.decorate_title(text_rng, kind, title)
            albums.append(_generated_album(
                cat, rng, title, base, book_author, narrator, series, idx if series else None,
                nonfiction, stamps[len(albums)], narrators, kind))
    cat._index_many(albums)
    return cat


def _script_book(rng: random.Random, kind: str, seen: set[str]) -> tuple[str, str] | None:
    """A CJK or right-to-left (title, author) whose title is not used yet (None when the
    small lists run dry)."""
    for _ in range(16):  # bounded: the lists hold a few hundred combinations
        title, author = text.script_book(rng, kind)
        if title not in seen:
            seen.add(title)
            return title, author
    return None


def _generated_album(cat: Catalogue, rng: random.Random, title: str, base: str, author: str,
                     narrator: str, series: str | None, series_index: int | None,
                     nonfiction: bool, added: int, narrators: list[str],
                     kind: str | None = None) -> Album:
    r = rng.random
    roll = r()
    if roll < 0.05:
        narrator = author.split(", ")[0]  # read by the author
    elif roll < 0.08:
        narrator = f"{narrator}, {_pick(rng, narrators)}"
    parent_title, original_title = author, None
    if r() < 0.05:  # poor tagging: the narrator became the album artist
        parent_title = narrator.split(", ")[0]
        original_title = author if r() < 0.5 else None
    asin = _b0_asin(rng) if r() < 0.9 else _isbn10(rng)
    g = r()
    guid_kind = GUID_PLEX if g < 0.70 else GUID_AUDNEXUS if g < 0.82 else \
        GUID_AUDIBLE if g < 0.88 else GUID_LOCAL
    if guid_kind == GUID_AUDNEXUS or guid_kind == GUID_AUDIBLE:
        asin_source = ASIN_IN_AGENT_GUID
    else:
        x = r()
        asin_source = ASIN_IN_FOLDER if x < 0.35 else \
            ASIN_IN_GUID_CHILD if x < 0.45 and guid_kind == GUID_PLEX else ASIN_NOWHERE
    f = r()
    if f < 0.40:
        file_style, track_count = "m4b", 1
    elif f < 0.55:
        file_style, track_count = "m4b_parts", 2 + int(r() * 5)
    else:
        file_style, track_count = "mp3_isbn" if f < 0.60 else "mp3", 5 + int(r() * 41)
    hours = 0.75 + 4.0 * r() + 12.0 * r() * r()  # 45 min to ~17 h, most around 6-8 h
    return cat._new_album(
        rng, title=title, base_title=base, parent_title=parent_title, author=author,
        narrator=narrator, asin=asin, asin_source=asin_source, guid_kind=guid_kind,
        added_at=added, updated_at=added + 5 + int(r() * 30 * 86_400),
        year=None if r() < 0.05 else max(1900, 2025 - int(rng.expovariate(1 / 9))),
        series=series, series_index=series_index, file_style=file_style,
        track_count=track_count, duration=int(hours * 3_600_000),
        original_title=original_title, nonfiction=nonfiction, text=kind)


def _curated_album(cat: Catalogue, rng: random.Random, row: tuple, added: int) -> Album:
    (title, parent, author, narrator, asin, source, guid_kind, series, idx, year, genre) = row
    style = "mp3_isbn" if asin[0].isdigit() else _pick(rng, ("m4b", "m4b_parts", "mp3"))
    count = 1 if style == "m4b" else 4 if style == "m4b_parts" else 24
    album = cat._new_album(
        rng, title=title, base_title=title.split(" (")[0].split(":")[0], parent_title=parent,
        author=author, narrator=narrator, asin=asin, asin_source=source, guid_kind=guid_kind,
        added_at=added, updated_at=added + 3_600, year=year, series=series, series_index=idx,
        file_style=style, track_count=count, duration=int((6 + 10 * rng.random()) * 3_600_000),
        original_title=author if parent != author else None,
        folder_extra=" [Unabridged]" if title.startswith("The Shadow") else "")
    details = album.details  # draw the rest from the seed, then pin the known genre
    details.genres = (genre,)
    return album


def build_music_catalogue(seed: int = 1) -> Catalogue:
    """The small "Music" section (4): two ordinary albums, so pickers see a non-book library."""
    rng = random.Random(f"music-{seed}")
    cat = Catalogue(section_id=4, section_title="Music", root="/music", first_key=100, seed=seed)
    albums = []
    for i, (title, artist, year) in enumerate((("Kind of Blue", "Miles Davis", 1959),
                                               ("Blue Train", "John Coltrane", 1957))):
        album = cat._new_album(
            rng, title=title, base_title=title, parent_title=artist, author=artist,
            narrator=None, asin=None, asin_source=ASIN_NOWHERE, guid_kind=GUID_PLEX,
            added_at=_EPOCH_START + 86_400 * (i + 1), updated_at=_EPOCH_START + 86_400 * (i + 2),
            year=year, series=None, series_index=None, file_style="mp3", track_count=5,
            duration=5 * 6 * 60_000, original_title=None, folder_extra="")
        album.details.genres = ("Jazz",)
        album.details.studio = "Columbia"
        albums.append(album)
    cat._index_many(albums)
    return cat
