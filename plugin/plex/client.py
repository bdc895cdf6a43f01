"""The one connection to a Plex Media Server: nothing outside ``plugin.plex`` imports plexapi.

It owns the server URL, token, TLS verification, timeouts and the client identity sent
with every request (product, version, the persisted client identifier). python-plexapi
makes the connection and answers the identity; everything plexbooks reads is fetched
here and parsed by ``plugin.plex.stream`` into small records, with the cleaning that real
servers' text needs. Every failure leaves as one of the kinds in ``plugin.plex.errors``.
plexapi itself is imported on the first connection (``plugin.plex.connection``), not with
this module: a listing child process never needs it.
"""
from __future__ import annotations

import platform
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import quote_plus

import requests

from plugin import PRODUCT, __version__
from plugin.plex.errors import PlexBadResponse, PlexNotFound, status_error, translated
from plugin.plex.records import (
    AlbumPage,
    AlbumRecord,
    LibrarySection,
    MetadataItem,
    ServerInfo,
    TrackPage,
    TrackRecord,
)
from plugin.plex.stream import parse_album_page, parse_document, parse_track_page
from plugin.redaction import REDACTOR

if TYPE_CHECKING:
    from plugin.plex.connection import Server

ALBUM_TYPE = 9
TRACK_TYPE = 10
_CHUNK = 64 * 1024


def identity_headers(client_identifier: str) -> dict[str, str]:
    """Headers naming plexbooks to Plex and plex.tv; the identifier is persisted, never derived."""
    return {
        "X-Plex-Product": PRODUCT,
        "X-Plex-Version": __version__,
        "X-Plex-Client-Identifier": client_identifier,
        "X-Plex-Platform": platform.system() or "Linux",
        "X-Plex-Device": "plexbooks",
        "X-Plex-Device-Name": "plexbooks",
        "X-Plex-Provides": "controller",
        "Accept": "application/xml",
    }


class PlexClient:
    """A connection to one Plex Media Server with one token (system or a user's).

    ``cleaned`` counts the answers that parsed only after forbidden characters were removed.
    """

    def __init__(self, url: str, token: str, *, client_identifier: str, timeout: float = 30.0,
                 verify_tls: bool = True, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._identity = identity_headers(client_identifier)
        self._session = session or requests.Session()
        self._session.verify = verify_tls
        self._server: Server | None = None
        self.cleaned = 0
        REDACTOR.add(token)

    def __repr__(self) -> str:  # never show the token
        return f"PlexClient({self.url!r})"

    def clone_args(self) -> dict[str, Any]:
        """What it takes to build the same client elsewhere (a child process)."""
        return {"url": self.url, "token": self._token, "client_identifier": self._identity["X-Plex-Client-Identifier"],
                "timeout": self.timeout, "verify_tls": bool(self._session.verify)}

    # -- connection -------------------------------------------------------------------
    def _connect(self) -> Server:
        if self._server is None:
            from plugin.plex.connection import Server   # here: plexapi's import is a listing child's largest
            with translated("the server identity (/)"):
                self._server = Server(self.url, self._token, identity=self._identity,
                                      session=self._session, timeout=self.timeout)
        return self._server

    def server_info(self) -> ServerInfo:
        """Connection test: who is this server? Fails with the precise PlexError."""
        server = self._connect()
        # an empty 200 answer builds a server object without any of these attributes
        if not getattr(server, "machineIdentifier", None):
            self._server = None
            raise PlexBadResponse("Plex answered without a machineIdentifier")
        return ServerInfo(server.machineIdentifier, server.version, server.platform, server.friendlyName)

    def _headers(self, **extra: str) -> dict[str, str]:
        return dict(self._identity, **{"X-Plex-Token": self._token}, **extra)

    def _get(self, path: str, what: str, *, method: str = "GET", allow_empty: bool = False) -> ET.Element:
        """One small answer, parsed (and cleaned when it has to be)."""
        with translated(what):
            response = self._session.request(method, f"{self.url}{path}", headers=self._headers(),
                                             timeout=self.timeout)
            if response.status_code not in (200, 201, 204):
                raise status_error(response.status_code, what)
            data = response.content
        if (allow_empty or method != "GET") and not data.strip():
            return ET.Element("MediaContainer")
        root, cleaned = parse_document(data, what)
        self.cleaned += cleaned
        return root

    def sections(self) -> list[LibrarySection]:
        root = self._get("/library/sections", "the library sections")
        return [LibrarySection(key=d.attrib.get("key", ""), title=d.attrib.get("title", ""),
                               type=d.attrib.get("type", ""), agent=d.attrib.get("agent"),
                               locations=tuple(loc.attrib.get("path", "") for loc in d.iter("Location")))
                for d in root.iter("Directory")]

    # -- listings ---------------------------------------------------------------------
    def _stream(self, path: str, params: dict[str, Any], offset: int, size: int, what: str,
                parse: Any) -> Any:
        headers = self._headers(**{"X-Plex-Container-Start": str(offset), "X-Plex-Container-Size": str(size)})
        query = dict(params, **{"X-Plex-Container-Start": offset, "X-Plex-Container-Size": size})
        with translated(what):
            response = self._session.get(f"{self.url}{path}", params=query, headers=headers,
                                         timeout=self.timeout, stream=True)
            try:
                if response.status_code != 200:
                    raise status_error(response.status_code, what)
                page = parse(response.iter_content(_CHUNK))
            finally:
                response.close()
        self.cleaned += page.cleaned
        return page

    def iter_album_pages(self, section_key: str, *, page_size: int = 1000, sort: str | None = None,
                         added_since: int | None = None) -> Iterator[AlbumPage]:
        """Yield every page of albums of a section until ``totalSize`` is reached.

        Raises PlexBadResponse for a page without ``totalSize``: without it nobody can
        tell a complete listing from a truncated one.
        """
        params = _listing_params(sort, added_since)
        offset = 0
        while True:
            page = self._album_page(section_key, params, offset, page_size)
            yield page
            offset += len(page.albums)
            if not page.albums or offset >= page.total_size:
                return

    def album_page(self, section_key: str, offset: int, size: int) -> AlbumPage:
        """One page of a section's albums (for readers that split the listing between them)."""
        return self._album_page(section_key, _listing_params(None, None), offset, size)

    def album_count(self, section_key: str) -> int:
        """How many albums a section has, without listing any (``X-Plex-Container-Size=0``)."""
        return self._album_page(section_key, {"type": ALBUM_TYPE}, 0, 0).total_size

    def _album_page(self, section_key: str, params: dict[str, Any], offset: int, size: int) -> AlbumPage:
        what = f"albums {offset}-{offset + size} of section {section_key}"
        return self._stream(f"/library/sections/{section_key}/all", params, offset, size, what,
                            lambda chunks: parse_album_page(chunks, section_key, offset, what))

    def track_page(self, section_key: str, offset: int, size: int) -> TrackPage:
        """One page of every track of a section (``type=10``), each naming its album."""
        what = f"tracks {offset}-{offset + size} of section {section_key}"
        return self._stream(f"/library/sections/{section_key}/all", {"type": TRACK_TYPE}, offset, size, what,
                            lambda chunks: parse_track_page(chunks, offset, what))

    def iter_track_pages(self, section_key: str, *, page_size: int = 2000) -> Iterator[TrackPage]:
        """Every page of a section's track listing until ``totalSize`` is reached."""
        offset = 0
        while True:
            page = self.track_page(section_key, offset, page_size)
            yield page
            offset += len(page.tracks)
            if not page.tracks or offset >= page.total_size:
                return

    def track_count(self, section_key: str) -> int:
        return self.track_page(section_key, 0, 0).total_size

    def image(self, path: str, max_bytes: int = 5 * 1024 * 1024) -> tuple[bytes, str]:
        """A Plex image (an album's ``thumb`` path) as bytes and its content type."""
        if not path.startswith("/") or "://" in path:
            raise PlexNotFound("not a Plex image path")
        what = "an image"
        headers = dict(self._identity, Accept="image/*", **{"X-Plex-Token": self._token})
        with translated(what):
            response = self._session.get(f"{self.url}{path}", headers=headers, timeout=self.timeout, stream=True)
            try:
                if response.status_code != 200:
                    raise status_error(response.status_code, what)
                data = response.raw.read(max_bytes + 1, decode_content=True)
                if len(data) > max_bytes:
                    raise PlexBadResponse("the image is too large")
                return data, response.headers.get("Content-Type", "image/jpeg").split(";")[0]
            finally:
                response.close()

    def album(self, rating_key: str) -> AlbumRecord:
        root = self._get(f"/library/metadata/{rating_key}?includeGuids=1", f"album {rating_key}")
        for elem in root:
            if elem.attrib.get("type") == "album":
                return AlbumRecord.from_element(elem)
        raise PlexNotFound(f"Plex item {rating_key} is not an album")

    def metadata(self, rating_key: str) -> MetadataItem:
        """Any library item; albums come back mapped, tracks and artists with their parents."""
        root = self._get(f"/library/metadata/{rating_key}?includeGuids=1", f"item {rating_key}")
        elem = next(iter(root), None)
        if elem is None:
            raise PlexNotFound(f"Plex has no item {rating_key}")
        kind = elem.attrib.get("type", "")
        album = AlbumRecord.from_element(elem) if kind == "album" else None
        return MetadataItem(type=kind, rating_key=elem.attrib.get("ratingKey", rating_key),
                            parent_rating_key=elem.attrib.get("parentRatingKey"),
                            section_key=elem.attrib.get("librarySectionID") or root.attrib.get("librarySectionID"),
                            album=album)

    def tracks(self, album_rating_key: str) -> list[TrackRecord]:
        root = self._get(f"/library/metadata/{album_rating_key}/children", f"tracks of {album_rating_key}")
        return [TrackRecord.from_element(t) for t in root if t.attrib.get("type") == "track" or t.tag == "Track"]

    def artist_albums(self, artist_rating_key: str) -> list[AlbumRecord]:
        root = self._get(f"/library/metadata/{artist_rating_key}/children?includeGuids=1",
                         f"albums of artist {artist_rating_key}")
        return [AlbumRecord.from_element(a) for a in root if a.attrib.get("type") == "album"]

    # -- notifications ----------------------------------------------------------------------
    def notifications_endpoint(self) -> tuple[str, dict[str, str]]:
        """Websocket URL and headers for ``/:/websockets/notifications``; the token goes in a
        header so it never appears in a URL that might be logged."""
        ws_url = "ws" + self.url[len("http"):] + "/:/websockets/notifications"
        return ws_url, dict(self._identity, **{"X-Plex-Token": self._token})

    # -- actions ----------------------------------------------------------------------
    def refresh(self, section_key: str, path: str | None = None) -> None:
        key = f"/library/sections/{section_key}/refresh"
        if path:
            key += f"?path={quote_plus(path)}"
        self._get(key, f"refresh of section {section_key}", allow_empty=True)

    def delete_item(self, rating_key: str) -> bool:
        """Delete an item from Plex. False when it was already gone (404 is fine)."""
        try:
            self._get(f"/library/metadata/{rating_key}", f"deletion of item {rating_key}", method="DELETE")
        except PlexNotFound:
            return False
        return True


def _listing_params(sort: str | None, added_since: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"type": ALBUM_TYPE, "includeGuids": 1}
    if sort:
        params["sort"] = sort
    if added_since is not None:
        # Plex's ">>=" means "after"; one second less makes the cutoff itself included.
        params["addedAt>>"] = int(added_since) - 1
    return params
