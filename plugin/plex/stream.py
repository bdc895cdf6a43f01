"""Reading Plex's XML as it streams in, and surviving the text real servers send.

Real Plex servers put characters into summaries and reviews that XML 1.0 forbids (raw
control characters such as ``\\x04`` or ``\\x0b``, python-plexapi issue #1450), and now and
then bytes that are not UTF-8. Every answer is parsed as it is first; only when that fails
are the forbidden characters removed and the answer parsed again (python-plexapi does the
same). A page that still fails is a bad response. Callers learn whether a page needed
cleaning so a scan can count such pages.

Listings are parsed with expat into plain dicts, one per album or track: building an
element tree (or a plexapi object) per album would cost more than the whole fetch.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import xml.parsers.expat as expat
from typing import Iterable

from plugin.plex.errors import PlexBadResponse
from plugin.plex.records import AlbumPage, ListedAlbum, TrackPage, TrackRecord, to_int

# What XML 1.0 does not allow in a document, raw or as a character reference.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")


def _allowed_code_point(cp: int) -> bool:
    return (cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD
            or 0x10000 <= cp <= 0x10FFFF)


def _keep_ref(match: re.Match[str]) -> str:
    ref = match.group(1)
    try:
        cp = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
    except ValueError:
        return ""
    return match.group(0) if _allowed_code_point(cp) else ""


def clean_xml(data: bytes) -> bytes:
    """The document without what XML 1.0 forbids: bytes that are not UTF-8 become U+FFFD,
    forbidden characters and references to them are removed; everything else is kept."""
    text = data.decode("utf-8", errors="replace")
    text = _FORBIDDEN.sub("", text)
    if "&#" in text:
        text = _CHAR_REF.sub(_keep_ref, text)
    return text.encode("utf-8")


def parse_document(data: bytes, what: str) -> tuple[ET.Element, bool]:
    """A whole (small) answer as an element tree, and whether it had to be cleaned."""
    if not data.strip():
        raise PlexBadResponse(f"Plex sent an empty answer for {what}")
    try:
        return ET.fromstring(data), False
    except ET.ParseError:
        pass
    try:
        return ET.fromstring(clean_xml(data)), True
    except ET.ParseError as exc:
        raise PlexBadResponse(f"Plex sent malformed XML for {what}: {exc}") from None


class _Listing:
    """One pass of expat over a listing page. Items are the container's children of
    ``item_tag`` (and, for albums, ``type="album"``); ``collect`` names the descendant whose
    ``attr`` is gathered per item (an album's ``Guid id``, a track's ``Part file``).

    ``items`` holds each item as (its attributes, the values gathered), filled as the
    elements start: the caller builds its records from the list once the page is read,
    with no Python call per item on the way (a first scan parses every album of a library)."""

    def __init__(self, what: str, *, item_type: str, collect: str, attr: str) -> None:
        self.what = what
        self.item_type, self.collect, self.attr = item_type, collect, attr
        self.depth = 0
        self.total: int | None = None
        self.page_offset: int | None = None
        self.items: list[tuple[dict[str, str], list[str]]] = []
        self.current: list[str] | None = None
        # Names not interned: expat would look each of an album's ~30 attribute names up in a
        # dictionary of its own, which costs more than the dict lookups by a new name later.
        self.parser = expat.ParserCreate(intern=None)
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end

    def start(self, name: str, attrs: dict[str, str]) -> None:
        depth = self.depth = self.depth + 1
        if depth == 2:
            if attrs.get("type") == self.item_type:
                self.current = []
                self.items.append((attrs, self.current))
            else:
                self.current = None
        elif depth > 2 and name == self.collect and self.current is not None:
            value = attrs.get(self.attr)
            if value:
                self.current.append(value)
        elif depth == 1:
            if name != "MediaContainer":
                raise PlexBadResponse(f"Plex sent <{name}> instead of a MediaContainer for {self.what}")
            total = to_int(attrs.get("totalSize"))
            if total is None:
                raise PlexBadResponse(f"Plex sent no totalSize for {self.what}; the listing cannot be checked "
                                      "for completeness")
            self.total = total
            self.page_offset = to_int(attrs.get("offset"))

    def end(self, _name: str) -> None:
        self.depth -= 1

    def feed(self, data: bytes, final: bool = False) -> None:
        self.parser.Parse(data, final)

    def close(self) -> None:
        """Let go of the parser: its handlers are this object's methods, a cycle that would keep
        the page's items alive until the garbage collector's next full pass."""
        del self.parser


def _parse_listing(chunks: Iterable[bytes], what: str, offset: int, *, item_type: str, collect: str,
                   attr: str) -> tuple[list[tuple[dict[str, str], list[str]]], int, int, bool]:
    """Stream-parse a page; on a parse error, clean the whole page and parse it once more.
    Returns (items as ``_Listing.items``, total size, offset, cleaned)."""
    chunks = iter(chunks)
    kept: list[bytes] = []
    listing = _Listing(what, item_type=item_type, collect=collect, attr=attr)
    try:
        for chunk in chunks:
            kept.append(chunk)
            listing.feed(chunk)
        listing.feed(b"", True)
        cleaned = False
    except expat.ExpatError:
        # Read the rest of the answer, then try once more without what XML forbids.
        kept.extend(chunks)
        listing.close()
        listing = _Listing(what, item_type=item_type, collect=collect, attr=attr)
        try:
            listing.feed(clean_xml(b"".join(kept)), True)
        except expat.ExpatError as exc:
            raise PlexBadResponse(f"Plex sent malformed XML for {what}: {exc}") from None
        cleaned = True
    listing.close()
    if listing.total is None:
        raise PlexBadResponse(f"Plex sent an empty answer for {what}")
    return listing.items, listing.total, listing.page_offset or offset, cleaned


def parse_album_page(chunks: Iterable[bytes], section_key: str, offset: int, what: str) -> AlbumPage:
    """One page of ``/library/sections/{id}/all?type=9``: raw album attributes and Guid ids."""
    items, total, page_offset, cleaned = _parse_listing(chunks, what, offset, item_type="album", collect="Guid",
                                                        attr="id")
    new = tuple.__new__       # not ListedAlbum(...): a named tuple's own __new__ is a Python function
    albums = [new(ListedAlbum, (attrs, tuple(guids), section_key)) for attrs, guids in items]
    return AlbumPage(offset=page_offset, total_size=total, albums=albums, cleaned=cleaned)


def parse_track_page(chunks: Iterable[bytes], offset: int, what: str) -> TrackPage:
    """One page of ``/library/sections/{id}/all?type=10``: each track with its album
    (``parentRatingKey``), duration and the files of its parts."""
    items, total, page_offset, cleaned = _parse_listing(chunks, what, offset, item_type="track", collect="Part",
                                                        attr="file")
    tracks = [TrackRecord.from_attrs(attrs, tuple(files)) for attrs, files in items]
    return TrackPage(offset=page_offset, total_size=total, tracks=tracks, cleaned=cleaned)
