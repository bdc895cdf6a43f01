"""How the simulated server writes Plex XML: escaping, the items (albums, artists, tracks),
sections and the ``MediaContainer`` around them, byte for byte in a real server's shape
(attribute order and all, checked against ``fixtures/plex/``).

Speed is the design constraint: an album's element is rendered once and cached as bytes
on the album (``render_cache``, dropped on update), so a page of a listing is a
``b"".join`` of cached bytes.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Iterable, Sequence

from .catalogue import Album, Artist, Catalogue, Track

PLEX_VERSION = "1.41.3.9314-a0bfb8370"
MEDIA_TAG_VERSION = "1734362783"
MEDIA_TAG_PREFIX = "/system/bundle/media/flags/"
LIBRARY_ID = "com.plexapp.plugins.library"
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


class Answer(Exception):
    """Raised by route code to answer right away with a status and body."""

    def __init__(self, status: int, body: bytes = b"", ctype: str = "text/html") -> None:
        super().__init__(status)
        self.status, self.body, self.ctype = status, body, ctype


def html_error(status: int) -> bytes:
    """Plex's bare HTML error body, e.g. for 401 (what python-plexapi puts in messages)."""
    text = f"{status} {_HTML_ERRORS.get(status, 'Error')}"
    return (f"<html><head><title>{_HTML_ERRORS.get(status, 'Error')}</title></head>"
            f"<body><h1>{text}</h1></body></html>").encode()


# What Plex escapes in attribute values. Characters XML 1.0 forbids (raw control
# characters) are not escaped: a real server sends them as they are (see ``text``).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;",
                          "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def xml_attrs(pairs: Iterable[tuple[str, object]]) -> str:
    """``k="v"`` pairs, escaped, skipping None values (Plex omits absent attributes)."""
    return " ".join(f'{k}="{esc(str(v))}"' for k, v in pairs if v is not None)


def num(value: float | None) -> str | None:
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
        head = xml_attrs((
            ("allowSync", "1"), ("art", self.art),
            ("composite", f"/library/sections/{self.key}/composite/{self.scanned_at}"),
            ("filters", "1"), ("refreshing", "0"), ("thumb", self.thumb), ("key", self.key),
            ("type", self.type), ("title", self.title), ("agent", self.agent),
            ("scanner", self.scanner), ("language", "en-US"), ("uuid", self.uuid),
            ("updatedAt", self.updated_at), ("createdAt", self.created_at),
            ("scannedAt", self.scanned_at), ("content", "1"), ("directory", "1"),
            ("contentChangedAt", self.scanned_at % 1_000_000), ("hidden", "0")))
        return (f"<Directory {head}>\n<Location {xml_attrs((('id', self.key), ('path', self.location)))}"
                f" />\n</Directory>\n")

    def library_attrs(self) -> list[tuple[str, object]]:
        return [("librarySectionID", self.key), ("librarySectionTitle", self.title),
                ("librarySectionUUID", self.uuid)]


_NEEDS_ESCAPE = re.compile(r'[&<>"\'\n\r\t]')


def esc(value: str) -> str:
    """Escape an attribute value; most values need nothing, so check before translating."""
    return value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def album_parts(album: Album, section: Section, artist: Artist | None) -> tuple[bytes, bytes]:
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
    studio = f' studio="{esc(d.studio)}"' if d.studio else ""
    original = f' originalTitle="{esc(album.original_title)}"' if album.original_title else ""
    viewed = (f' viewCount="{d.view_count}" lastViewedAt="{d.last_viewed_at}"'
              if d.view_count and d.last_viewed_at else "")
    year = f' year="{album.year}"' if album.year else ""
    released = (f' originallyAvailableAt="{d.originally_available_at}"'
                if d.originally_available_at else "")
    rating = f' userRating="{num(d.user_rating)}"' if d.user_rating is not None else ""
    sid = section.key
    head = (
        f'<Directory ratingKey="{rk}" key="/library/metadata/{rk}/children" '
        f'parentRatingKey="{ark}" guid="{esc(album.guid)}" parentGuid="{esc(album.parent_guid)}"'
        f'{studio} type="album" title="{esc(album.title)}" parentKey="/library/metadata/{ark}" '
        f'librarySectionTitle="{esc(section.title)}" librarySectionID="{sid}" '
        f'librarySectionKey="/library/sections/{sid}" parentTitle="{esc(album.parent_title)}"'
        f'{original} summary="{esc(d.summary)}" index="1"{viewed}{year} '
        f'thumb="/library/metadata/{rk}/thumb/{album.updated_at}" '
        f'art="/library/metadata/{ark}/art/{artist_ts}" '
        f'parentThumb="/library/metadata/{ark}/thumb/{artist_ts}"{released} '
        f'leafCount="{album.track_count}" '
        f'viewedLeafCount="{album.track_count if d.view_count else 0}"{rating} '
        f'addedAt="{album.added_at}" updatedAt="{album.updated_at}" '
        f'loudnessAnalysisVersion="2" musicAnalysisVersion="1">\n')
    genres = "".join(f'<Genre tag="{esc(g)}" />\n' for g in d.genres)
    guids = "".join(f'<Guid id="{esc(g)}" />\n' for g in d.external_guids)
    parts = ((head + genres).encode(), guids.encode())
    album.render_cache["xml"] = parts
    return parts


CLOSE_DIRECTORY = b"</Directory>\n"
_ADDED_AT = b' addedAt="'


def rating_attr(rating: float | None) -> bytes:
    return b"" if rating is None else f' userRating="{num(rating)}"'.encode()


def with_rating(head: bytes, album: Album, rating: float | None) -> bytes:
    """An album head (from ``album_parts``) carrying *rating* instead of the catalogue's.

    The rating attribute sits right before ``addedAt`` (the only `` addedAt="`` in a head:
    quotes in values are escaped), so this is one partition of the cached bytes.
    """
    before, sep, after = head.partition(_ADDED_AT)
    own = rating_attr(album.details.user_rating)
    if own and before.endswith(own):
        before = before[:-len(own)]
    return before + rating_attr(rating) + sep + after


def artist_xml(artist: Artist, section: Section) -> bytes:
    cached = artist.render_cache.get("xml")
    if cached is None:
        head = xml_attrs((
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


def track_xml(track: Track, album: Album, section: Section, artist: Artist | None,
              rating: float | None = None) -> bytes:
    """A ``<Track>`` with its ``Media`` and ``Part``; ``rating`` is the viewer's userRating."""
    ark = album.artist_rating_key
    artist_thumb = artist.thumb if artist else album.thumb
    ext = track.file.rsplit(".", 1)[-1]
    profile = "lc" if track.audio_codec == "aac" else None
    head = xml_attrs((
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
        ("duration", track.duration), ("userRating", num(rating)), ("addedAt", track.added_at),
        ("updatedAt", track.updated_at)))
    media = xml_attrs((
        ("id", track.media_id), ("duration", track.duration), ("bitrate", track.bitrate),
        ("audioChannels", track.audio_channels), ("audioCodec", track.audio_codec),
        ("container", track.container), ("audioProfile", profile)))
    part = xml_attrs((
        ("id", track.part_id),
        ("key", f"/library/parts/{track.part_id}/{track.updated_at}/file.{ext}"),
        ("duration", track.duration), ("file", track.file), ("size", track.size),
        ("audioProfile", profile), ("container", track.container)))
    return (f"<Track {head}>\n<Media {media}>\n<Part {part} />\n</Media>\n</Track>\n").encode()


def container(attrs: Iterable[tuple[str, object]], parts: Sequence[bytes],
               meta: bytes = b"") -> bytes:
    return b"".join((XML_DECL, f"<MediaContainer {xml_attrs(attrs)}>\n".encode(), meta,
                     *parts, b"</MediaContainer>\n"))


def section_browse_xml(section: Section) -> bytes:
    keys = (("all", "All Artists"), ("albums", "By Album"), ("genre", "By Genre"),
            ("recentlyAdded", "Recently Added"), ("folder", "By Folder"), ("search?type=9", "Search Albums..."))
    parts = [f"<Directory {xml_attrs((('key', k), ('title', t)))} />\n".encode() for k, t in keys]
    return container((("size", len(parts)), ("allowSync", "0"), ("art", section.art),
                       ("identifier", LIBRARY_ID), ("librarySectionID", section.key),
                       ("librarySectionTitle", section.title),
                       ("librarySectionUUID", section.uuid), ("mediaTagPrefix", MEDIA_TAG_PREFIX),
                       ("mediaTagVersion", MEDIA_TAG_VERSION), ("thumb", section.thumb),
                       ("title1", section.title), ("viewGroup", "secondary"),
                       ("viewMode", "65592")), parts)


def identity_xml(machine_identifier: str) -> bytes:
    return container((("size", 0), ("apiVersion", "1.1.1"), ("claimed", "1"),
                      ("machineIdentifier", machine_identifier), ("version", PLEX_VERSION)), ())


def library_xml() -> bytes:
    return container((("size", 3), ("allowSync", "0"), ("art", "/:/resources/library-art.png"),
                      ("content", ""), ("identifier", LIBRARY_ID),
                      ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION),
                      ("title1", "Plex Library"), ("title2", "")),
                     (b'<Directory key="sections" title="Library Sections" />\n',
                      b'<Directory key="recentlyAdded" title="Recently Added Content" />\n',
                      b'<Directory key="onDeck" title="On Deck Content" />\n'))


def sections_xml(sections: Sequence[Section]) -> bytes:
    return container((("size", len(sections)), ("allowSync", "0"), ("identifier", LIBRARY_ID),
                      ("mediaTagPrefix", MEDIA_TAG_PREFIX), ("mediaTagVersion", MEDIA_TAG_VERSION),
                      ("title1", "Plex Library")), [s.xml().encode() for s in sections])


def root_xml(*, machine_identifier: str, friendly_name: str, allow_deletion: bool) -> bytes:
    """``GET /``: the server's capabilities, as a real Plex Media Server 1.41 lists them."""
    attrs = (
        ("size", 22), ("allowCameraUpload", "0"), ("allowChannelAccess", "1"),
        ("allowMediaDeletion", "1" if allow_deletion else "0"), ("allowSharing", "1"),
        ("allowSync", "1"), ("allowTuners", "0"), ("backgroundProcessing", "1"),
        ("certificate", "1"), ("companionProxy", "1"), ("countryCode", "usa"),
        ("diagnostics", "logs,databases,streaminglogs"), ("eventStream", "1"),
        ("friendlyName", friendly_name), ("hubSearch", "1"), ("itemClusters", "1"),
        ("livetv", "7"), ("machineIdentifier", machine_identifier),
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
    return container(attrs, [f'<Directory count="1" key="{k}" title="{k}" />\n'.encode()
                             for k in keys])


@functools.cache
def _music_meta_template() -> str:
    return resources.files(__package__).joinpath("resources/music_meta.xml").read_text("utf-8")


def music_meta(section_key: int) -> bytes:
    """The ``<Meta>`` block of a real music section (python-plexapi reads it before any
    sorted or filtered search), verbatim from ``fixtures/plex/ha_library_music_metadata.xml``
    (section 3) and kept in ``resources/music_meta.xml``; other sections get their own key."""
    return _music_meta_template().replace("/library/sections/3/",
                                          f"/library/sections/{section_key}/").encode()
