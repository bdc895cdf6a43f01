"""The one wrapper around python-plexapi: nothing else in plexbooks imports plexapi.

It owns the server URL, token, TLS verification, timeouts, the client identity sent
with every request (product, version, the persisted client identifier) and the
mapping of every failure onto four error kinds:

========================  =========================================  =========
error                     raised for                                 retry?
========================  =========================================  =========
``PlexUnreachable``       connection refused/reset/dropped, timeout  yes
``PlexTLSError``          certificate or TLS handshake failure       no
``PlexUnauthorized``      401 (token wrong or revoked)               no
``PlexNotFound``          404                                        no
``PlexBadResponse``       other statuses, malformed XML, missing     5xx only
                          ``totalSize``
========================  =========================================  =========

Listings are parsed straight from the XML stream into small records: a scan of
100,000 albums must not build one plexapi object (and risk one silent reload) per album.
Single items go through ``PlexServer.query`` and the same record mapping.
"""
from __future__ import annotations

import os

# plexapi reads its configuration when imported; keep a stray config file or
# environment from turning silent per-item reloads back on.
os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

import hashlib  # noqa: E402
import platform  # noqa: E402
import xml.parsers.expat as expat  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Iterator, NamedTuple  # noqa: E402

import requests  # noqa: E402
from plexapi import exceptions as plex_exc  # noqa: E402
from plexapi.server import PlexServer  # noqa: E402

from plugin import PRODUCT, __version__, metrics  # noqa: E402
from plugin.secrets_store import REDACTOR  # noqa: E402

ALBUM_TYPE = 9
TRACK_TYPE = 10
_CHUNK = 64 * 1024


class PlexError(Exception):
    """Base of every Plex failure. ``code`` is machine-readable; messages never carry tokens."""

    code = "plex_error"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(REDACTOR.redact(message))
        self.status = status
        metrics.record_plex_error(self.code)


class PlexUnreachable(PlexError):
    code = "plex_unreachable"
    retryable = True


class PlexTLSError(PlexError):
    code = "plex_tls_error"


class PlexUnauthorized(PlexError):
    code = "plex_unauthorized"


class PlexNotFound(PlexError):
    code = "plex_not_found"


class PlexBadResponse(PlexError):
    code = "plex_bad_response"

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message, status=status)
        self.retryable = status is not None and status >= 500


def _status_error(status: int, what: str) -> PlexError:
    if status == 401:
        return PlexUnauthorized(f"Plex refused the token (401) for {what}", status=401)
    if status == 404:
        return PlexNotFound(f"Plex has no {what} (404)", status=404)
    return PlexBadResponse(f"Plex answered {status} for {what}", status=status)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """The one mapping from requests/plexapi/XML failures to PlexError kinds."""
    try:
        yield
    except PlexError:
        raise
    except requests.exceptions.SSLError as exc:
        raise PlexTLSError(f"TLS failure talking to Plex for {what}: {type(exc).__name__}") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError) as exc:
        raise PlexUnreachable(f"Plex unreachable for {what}: {type(exc).__name__}") from None
    except plex_exc.Unauthorized:
        raise _status_error(401, what) from None
    except plex_exc.NotFound:
        raise _status_error(404, what) from None
    except plex_exc.BadRequest as exc:
        status = _status_from_message(str(exc))
        raise _status_error(status or 400, what) from None
    except (ET.ParseError, expat.ExpatError) as exc:
        raise PlexBadResponse(f"Plex sent malformed XML for {what}: {exc}") from None
    except requests.exceptions.RequestException as exc:
        raise PlexUnreachable(f"request to Plex failed for {what}: {type(exc).__name__}") from None


def _status_from_message(message: str) -> int | None:
    # plexapi formats its errors as "(500) internal_server_error; url ..."
    if message.startswith("(") and ")" in message:
        try:
            return int(message[1:message.index(")")])
        except ValueError:
            return None
    return None


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except ValueError:
            return None


def _float(value: str | None) -> float | None:
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
        return cls(get("ratingKey", ""), get("guid") or None, get("title") or None, get("parentTitle") or None,
                   get("originalTitle") or None, get("parentRatingKey"), get("librarySectionID") or section_key,
                   _int(get("year")), get("summary") or None, get("thumb") or None, _float(get("userRating")),
                   _int(get("addedAt")), _int(get("updatedAt")), guids,
                   fingerprint or album_fingerprint(a, guids))

    @classmethod
    def from_element(cls, elem: ET.Element, section_key: str | None = None) -> "AlbumRecord":
        guids = tuple(g.attrib["id"] for g in elem.iter("Guid") if g.attrib.get("id"))
        return cls.from_attrs(elem.attrib, guids, section_key)


# The attributes a mirror row is made of: their fingerprint tells an unchanged album without
# building anything from it. Play counts and the like are left out on purpose.
FINGERPRINT_KEYS = ("ratingKey", "guid", "title", "parentTitle", "originalTitle", "parentRatingKey",
                    "librarySectionID", "year", "summary", "thumb", "userRating", "addedAt", "updatedAt")


def album_fingerprint(attrs: dict[str, str], guids: tuple[str, ...]) -> str:
    get = attrs.get
    text = "\x1f".join([get(k) or "" for k in FINGERPRINT_KEYS] + list(guids))
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
        return _int(self.attrs.get("addedAt"))

    def fingerprint(self) -> str:
        return album_fingerprint(self.attrs, self.guids)

    def record(self, fingerprint: str | None = None) -> AlbumRecord:
        return AlbumRecord.from_attrs(self.attrs, self.guids, self.section_key, fingerprint)


@dataclass(frozen=True, slots=True)
class TrackRecord:
    rating_key: str
    parent_rating_key: str | None
    title: str | None
    original_title: str | None
    duration_ms: int | None
    files: tuple[str, ...]

    @classmethod
    def from_element(cls, elem: ET.Element) -> "TrackRecord":
        a = elem.attrib
        return cls(rating_key=a.get("ratingKey", ""), parent_rating_key=a.get("parentRatingKey"),
                   title=a.get("title"), original_title=a.get("originalTitle") or None,
                   duration_ms=_int(a.get("duration")),
                   files=tuple(p.attrib["file"] for p in elem.iter("Part") if p.attrib.get("file")))


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
    albums: list[ListedAlbum] | list[AlbumRecord] = field(default_factory=list)
    # guids whose fingerprint matched the mirror (filled when a child process read the page)
    unchanged: list[str] = field(default_factory=list)


class _Server(PlexServer):
    """PlexServer sending plexbooks' identity instead of plexapi's import-time globals."""

    def __init__(self, baseurl: str, token: str, *, identity: dict[str, str],
                 session: requests.Session, timeout: float):
        self._plexbooks_identity = identity
        super().__init__(baseurl, token, session=session, timeout=timeout)

    def _headers(self, **kwargs: str) -> dict[str, str]:
        headers = dict(self._plexbooks_identity)
        if self._token:
            headers["X-Plex-Token"] = self._token
        headers.update(kwargs)
        return headers


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
    """A connection to one Plex Media Server with one token (system or a user's)."""

    def __init__(self, url: str, token: str, *, client_identifier: str, timeout: float = 30.0,
                 verify_tls: bool = True, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self._identity = identity_headers(client_identifier)
        self._session = session or requests.Session()
        self._session.verify = verify_tls
        self._server: _Server | None = None
        REDACTOR.add(token)

    def __repr__(self) -> str:  # never show the token
        return f"PlexClient({self.url!r})"

    def clone_args(self) -> dict[str, Any]:
        """What it takes to build the same client elsewhere (a child process)."""
        return {"url": self.url, "token": self._token, "client_identifier": self._identity["X-Plex-Client-Identifier"],
                "timeout": self.timeout, "verify_tls": bool(self._session.verify)}

    # -- connection -------------------------------------------------------------------
    def _connect(self) -> _Server:
        if self._server is None:
            with _translated("the server identity (/)"):
                self._server = _Server(self.url, self._token, identity=self._identity,
                                       session=self._session, timeout=self.timeout)
        return self._server

    def server_info(self) -> ServerInfo:
        """Connection test: who is this server? Fails with the precise PlexError."""
        server = self._connect()
        if not server.machineIdentifier:
            raise PlexBadResponse("Plex answered without a machineIdentifier")
        return ServerInfo(server.machineIdentifier, server.version, server.platform, server.friendlyName)

    def sections(self) -> list[LibrarySection]:
        root = self._query("/library/sections", "the library sections")
        return [LibrarySection(key=d.attrib.get("key", ""), title=d.attrib.get("title", ""),
                               type=d.attrib.get("type", ""), agent=d.attrib.get("agent"),
                               locations=tuple(loc.attrib.get("path", "") for loc in d.iter("Location")))
                for d in root.iter("Directory")]

    def _query(self, path: str, what: str, method: str = "get") -> ET.Element:
        server = self._connect()
        with _translated(what):
            root = server.query(path, method=getattr(server._session, method), timeout=self.timeout)
        if root is None:
            raise PlexBadResponse(f"Plex sent an empty answer for {what}")
        return root

    # -- listings ---------------------------------------------------------------------
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
        server = self._connect()
        what = f"albums {offset}-{offset + size} of section {section_key}"
        headers = server._headers(**{"X-Plex-Container-Start": str(offset), "X-Plex-Container-Size": str(size)})
        query = dict(params, **{"X-Plex-Container-Start": offset, "X-Plex-Container-Size": size})
        with _translated(what):
            response = self._session.get(f"{self.url}/library/sections/{section_key}/all", params=query,
                                         headers=headers, timeout=self.timeout, stream=True)
            try:
                if response.status_code != 200:
                    raise _status_error(response.status_code, what)
                return _parse_album_page(response.iter_content(_CHUNK), section_key, offset, what)
            finally:
                response.close()

    def image(self, path: str, max_bytes: int = 5 * 1024 * 1024) -> tuple[bytes, str]:
        """A Plex image (an album's ``thumb`` path) as bytes and its content type."""
        if not path.startswith("/") or "://" in path:
            raise PlexNotFound("not a Plex image path")
        what = "an image"
        headers = dict(self._identity, Accept="image/*", **{"X-Plex-Token": self._token})
        with _translated(what):
            response = self._session.get(f"{self.url}{path}", headers=headers, timeout=self.timeout, stream=True)
            try:
                if response.status_code != 200:
                    raise _status_error(response.status_code, what)
                data = response.raw.read(max_bytes + 1, decode_content=True)
                if len(data) > max_bytes:
                    raise PlexBadResponse("the image is too large")
                return data, response.headers.get("Content-Type", "image/jpeg").split(";")[0]
            finally:
                response.close()

    def album(self, rating_key: str) -> AlbumRecord:
        root = self._query(f"/library/metadata/{rating_key}?includeGuids=1", f"album {rating_key}")
        for elem in root:
            if elem.attrib.get("type") == "album":
                return AlbumRecord.from_element(elem)
        raise PlexNotFound(f"Plex item {rating_key} is not an album")

    def metadata(self, rating_key: str) -> MetadataItem:
        """Any library item; albums come back mapped, tracks and artists with their parents."""
        root = self._query(f"/library/metadata/{rating_key}?includeGuids=1", f"item {rating_key}")
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
        root = self._query(f"/library/metadata/{album_rating_key}/children", f"tracks of {album_rating_key}")
        return [TrackRecord.from_element(t) for t in root if t.attrib.get("type") == "track" or t.tag == "Track"]

    def artist_albums(self, artist_rating_key: str) -> list[AlbumRecord]:
        root = self._query(f"/library/metadata/{artist_rating_key}/children?includeGuids=1",
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
        from urllib.parse import quote_plus
        key = f"/library/sections/{section_key}/refresh"
        if path:
            key += f"?path={quote_plus(path)}"
        server = self._connect()
        with _translated(f"refresh of section {section_key}"):
            server.query(key, timeout=self.timeout)

    def delete_item(self, rating_key: str) -> bool:
        """Delete an item from Plex. False when it was already gone (404 is fine)."""
        server = self._connect()
        try:
            with _translated(f"deletion of item {rating_key}"):
                server.query(f"/library/metadata/{rating_key}", method=server._session.delete,
                             timeout=self.timeout)
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


def _parse_album_page(chunks: Iterator[bytes], section_key: str, offset: int, what: str) -> AlbumPage:
    """Stream-parse one listing page with expat: no element tree, one dict per album."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    state: dict[str, Any] = {"depth": 0, "page": None, "album": None}
    albums: list[ListedAlbum] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        depth = state["depth"] = state["depth"] + 1
        if depth == 2:
            state["album"] = (attrs, []) if attrs.get("type") == "album" else None
        elif depth == 3 and name == "Guid" and state["album"] is not None and attrs.get("id"):
            state["album"][1].append(attrs["id"])
        elif depth == 1:
            if name != "MediaContainer":
                raise PlexBadResponse(f"Plex sent <{name}> instead of a MediaContainer for {what}")
            total = _int(attrs.get("totalSize"))
            if total is None:
                raise PlexBadResponse(f"Plex sent no totalSize for {what}; the listing cannot be checked "
                                      "for completeness")
            state["page"] = AlbumPage(offset=_int(attrs.get("offset")) or offset, total_size=total, albums=albums)

    def end(_name: str) -> None:
        if state["depth"] == 2 and state["album"] is not None:
            attrs, guids = state["album"]
            albums.append(ListedAlbum(attrs, tuple(guids), section_key))
            state["album"] = None
        state["depth"] -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    if state["page"] is None:
        raise PlexBadResponse(f"Plex sent an empty answer for {what}")
    return state["page"]
