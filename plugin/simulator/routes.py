"""The Plex API routes of the simulated server: which request gets which document.

Each route reads the catalogue through ``queries`` and writes through ``render``; a
``Request`` carries what a route needs to know about the request it answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from .catalogue import Album, Artist, sort_title
from .queries import TrackListing, paging
from .render import (
    CLOSE_DIRECTORY,
    LIBRARY_ID,
    MEDIA_TAG_PREFIX,
    MEDIA_TAG_VERSION,
    TINY_JPEG,
    XML_TYPE,
    Answer,
    Section,
    album_parts,
    artist_xml,
    container,
    html_error,
    identity_xml,
    library_xml,
    music_meta,
    root_xml,
    section_browse_xml,
    sections_xml,
    track_xml,
    with_rating,
)
from .users import SimUser

if TYPE_CHECKING:
    from .server import SimulatedPlex

_METADATA = re.compile(r"^/library/metadata/(\d+(?:,\d+)*)$")
_METADATA_SUB = re.compile(r"^/library/metadata/(\d+)/(children|allLeaves|thumb|art)(?:/\d+)?$")
_SECTION = re.compile(r"^/library/sections/(\d+)(?:/(all|albums|search|recentlyAdded|"
                      r"collections|refresh|firstCharacter))?$")


@dataclass(slots=True)
class Request:
    """One Plex API request, parsed: what the routes below read."""

    sim: "SimulatedPlex"
    method: str
    path: str
    query: dict
    pairs: list[tuple[str, str]]
    headers: Any
    no_total_size: bool = False
    viewer: SimUser | None = None

    @property
    def ratings(self) -> dict[str, float] | None:
        """The viewer's own ratings, or None when the catalogue's are shown (the owner's)."""
        return self.sim.ratings_seen_by(self.viewer)

    def rated(self, album: Album, head: bytes) -> bytes:
        """*head* as this viewer sees it (their userRating)."""
        ratings = self.ratings
        return head if ratings is None else with_rating(head, album, ratings.get(album.rating_key))

    def track_rating(self, rating_key: str) -> float | None:
        ratings = self.ratings
        return None if ratings is None else ratings.get(rating_key)


def route(req: Request) -> tuple[int, bytes | tuple[bytes, str]]:
    """(status, body or (body, content type)) for a Plex API request; raises ``Answer``."""
    sim, method, path, query, pairs = req.sim, req.method, req.path, req.query, req.pairs
    if method == "DELETE":
        match = _METADATA.match(path)
        if match and "," not in match.group(1):
            return delete_item(sim, match.group(1))
        raise Answer(404, html_error(404))
    if method not in ("GET", "HEAD"):
        raise Answer(404, html_error(404))
    if path == "/":
        return 200, root_xml(machine_identifier=sim.machine_identifier,
                             friendly_name=sim.friendly_name, allow_deletion=sim.allow_deletion)
    if path == "/identity":
        return 200, identity_xml(sim.machine_identifier)
    if path == "/library":
        return 200, library_xml()
    if path == "/library/sections":
        return 200, sections_xml(list(sim.sections.values()))
    if path == "/library/recentlyAdded":
        section = sim.sections[3]
        return 200, listing(req, section, {"type": "9", "sort": "addedAt:desc", **query},
                            [("sort", "addedAt:desc")])
    match = _SECTION.match(path)
    if match:
        found = sim.sections.get(int(match.group(1)))
        if found is None:
            raise Answer(404, html_error(404))
        section = found
        action = match.group(2)
        if action is None:
            return 200, section_browse_xml(section)
        if action == "refresh":
            sim.refresh_section(section, query.get("path"), force=query.get("force") == "1")
            return 200, (b"", XML_TYPE)
        if action == "collections":
            return 200, collections(section, query, req.headers)
        if action == "recentlyAdded":
            return 200, listing(req, section, {"type": "9", "sort": "addedAt:desc", **query},
                                [("sort", "addedAt:desc"), *pairs])
        if action == "albums":  # what python-plexapi's MusicSection.albums() reads
            return 200, listing(req, section, {**query, "type": "9"}, pairs)
        if action == "firstCharacter":
            return 200, container((("size", 0),), ())
        return 200, listing(req, section, query, pairs)
    match = _METADATA.match(path)
    if match:
        return 200, metadata(req, match.group(1).split(","))
    match = _METADATA_SUB.match(path)
    if match:
        rk, sub = match.groups()
        if sub in ("thumb", "art"):
            if sim.find(rk) is None:
                raise Answer(404, html_error(404))
            return 200, (TINY_JPEG, "image/jpeg")
        return 200, children(req, rk, sub)
    raise Answer(404, html_error(404))




def listing(req: Request, section: Section, query: dict, pairs: list[tuple[str, str]]) -> bytes:
    """``/library/sections/{id}/all`` (and search / recentlyAdded): paged items."""
    cat = section.catalogue
    try:
        libtype = int(query.get("type") or (8 if section.type == "artist" else 1))
    except ValueError:
        raise Answer(400, html_error(400)) from None
    items: Sequence = ()
    title2, group, mode = "All Albums", "album", "65592"
    if cat is not None and libtype == 9:
        items = req.sim.results.albums(cat, query.get("sort", ""), pairs)
    elif cat is not None and libtype == 8:
        title2, group, mode = "All Artists", "artist", "131124"
        wanted = query.get("title", "").casefold()
        with cat.lock:
            artists = list(cat.artists.values())
        items = sorted((a for a in artists if wanted in a.title.casefold()),
                       key=lambda a: (sort_title(a.title), int(a.rating_key)))
    elif cat is not None and libtype == 10:
        title2, group, mode = "All Tracks", "track", "65593"
        items = TrackListing(cat.ordered())
    start, size, paged = paging(query, req.headers)
    page = items[start:] if size is None else items[start:start + size]
    parts: list[bytes] = []
    if libtype == 9 and cat is not None:
        with_guids = query.get("includeGuids") == "1"
        by_key = cat.artists
        ratings = req.ratings
        for album in page:
            head, guids = album_parts(album, section, by_key.get(album.artist_rating_key))
            if ratings is not None:  # a shared user: their rating, rendered per request
                head = with_rating(head, album, ratings.get(album.rating_key))
            parts.append(head)
            if with_guids and guids:
                parts.append(guids)
            parts.append(CLOSE_DIRECTORY)
    elif libtype == 8:
        parts = [artist_xml(a, section) for a in page]
    elif libtype == 10 and cat is not None:
        parts = [track_xml(t, a, section, cat.artists.get(a.artist_rating_key),
                           req.track_rating(t.rating_key)) for a, t in page]
    attrs: list[tuple[str, object]] = [("size", len(page))]
    if paged and not req.no_total_size:
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
        meta = music_meta(section.key)
    elif query.get("includeMeta") == "1":
        meta = b"<Meta>\n</Meta>\n"
    return container(attrs, parts, meta)


def metadata(req: Request, keys: list[str]) -> bytes:
    """``/library/metadata/{rk}[,rk...]``: albums (always with Guid children, like Plex),
    tracks or artists."""
    parts: list[bytes] = []
    section = None
    found_count = 0
    for rk in keys:
        found = req.sim.find(rk)
        if found is None:
            continue
        found_count += 1
        section, cat, item = found
        artist = cat.artists.get(getattr(item, "artist_rating_key", ""))
        if isinstance(item, Album):
            head, guids = album_parts(item, section, artist)
            parts += [req.rated(item, head), guids, CLOSE_DIRECTORY]
        elif isinstance(item, Artist):
            parts.append(artist_xml(item, section))
        else:
            album = cat.get_album(item.album_rating_key)
            assert album is not None  # a track's album is in the same catalogue
            parts.append(track_xml(item, album, section, cat.artists.get(album.artist_rating_key),
                                   req.track_rating(item.rating_key)))
    if section is None:
        raise Answer(404, html_error(404))
    attrs = [("size", found_count), ("allowSync", "1"), ("identifier", LIBRARY_ID), *section.library_attrs(),
             ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION)]
    return container(attrs, parts)


def children(req: Request, rk: str, sub: str) -> bytes:
    """Tracks of an album; albums (``children``) or tracks (``allLeaves``) of an artist."""
    found = req.sim.find(rk)
    if found is None:
        raise Answer(404, html_error(404))
    section, cat, item = found
    start, size, paged = paging(req.query, req.headers)
    no_total_size = req.no_total_size
    if isinstance(item, Album):
        artist = cat.artists.get(item.artist_rating_key)
        tracks = item.tracks
        page = tracks[start:] if size is None else tracks[start:start + size]
        parts = [track_xml(t, item, section, artist, req.track_rating(t.rating_key)) for t in page]
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
        return container(attrs, parts)
    if isinstance(item, Artist):
        albums = cat.albums_of_artist(item.rating_key)
        if sub == "allLeaves":
            listing = TrackListing(albums)
            page = listing[start:] if size is None else listing[start:start + size]
            parts = [track_xml(t, a, section, item, req.track_rating(t.rating_key))
                     for a, t in page]
            total, group = len(listing), "track"
        else:
            page_albums = albums[start:] if size is None else albums[start:start + size]
            parts = []
            for album in page_albums:
                head, _guids = album_parts(album, section, item)
                parts += [req.rated(album, head), CLOSE_DIRECTORY]
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
        return container(attrs, parts)
    return container((("size", 0),), ())  # a track has no children


def delete_item(sim: "SimulatedPlex", rk: str) -> tuple[int, bytes]:
    """``DELETE /library/metadata/{rk}``. With media deletion disabled Plex answers
    403 Forbidden (python-plexapi raises BadRequest); unknown keys are 404."""
    found = sim.find(rk)
    if found is None:
        raise Answer(404, html_error(404))
    if not sim.allow_deletion:
        raise Answer(403, html_error(403))
    section, cat, item = found
    if cat is not sim.catalogue:
        raise Answer(403, html_error(403))
    if isinstance(item, Album):
        sim.remove_album(item.rating_key)
    elif isinstance(item, Artist):
        for album in cat.albums_of_artist(item.rating_key):
            sim.remove_album(album.rating_key)
    else:  # deleting single files of a book is not simulated
        raise Answer(400, html_error(400))
    return 200, b""


def collections(section: Section, query: dict, headers: Any) -> bytes:
    """No collections; with ``includeMeta=1`` the Meta block python-plexapi also reads."""
    meta = b""
    if query.get("includeMeta") == "1":
        meta = (f'<Meta>\n<Type key="/library/sections/{section.key}/collections" '
                f'type="collection" title="Collections" active="1">\n'
                f'<Sort default="asc" defaultDirection="asc" descKey="titleSort:desc" '
                f'key="titleSort" title="Title" />\n'
                f'<Sort defaultDirection="desc" descKey="addedAt:desc" key="addedAt" '
                f'title="Date Added" />\n</Type>\n</Meta>\n').encode()
    start, _size, paged = paging(query, headers)
    attrs: list[tuple[str, object]] = [("size", 0)]
    if paged:
        attrs += [("totalSize", 0), ("offset", start)]
    attrs += [("allowSync", "0"), ("identifier", LIBRARY_ID), *section.library_attrs(),
              ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION),
              ("title1", section.title), ("title2", "Collections"), ("viewGroup", "secondary")]
    return container(attrs, (), meta)

