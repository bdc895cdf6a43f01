"""Everything plexbooks says to and hears from a Plex Media Server.

``client`` (the one plexapi user), ``errors`` (the error taxonomy), ``records`` (what
Plex answers, as small records) and ``stream`` (the XML stream parser and its cleaning).
"""
from plugin.plex.client import ALBUM_TYPE, TRACK_TYPE, PlexClient, identity_headers
from plugin.plex.errors import (
    PlexBadResponse,
    PlexError,
    PlexNotFound,
    PlexTLSError,
    PlexUnauthorized,
    PlexUnreachable,
    status_error,
    translated,
)
from plugin.plex.records import (
    AlbumPage,
    AlbumRecord,
    AlbumTracks,
    LibrarySection,
    ListedAlbum,
    MetadataItem,
    ServerInfo,
    TrackGroupPage,
    TrackPage,
    TrackRecord,
    album_fingerprint,
)

__all__ = [
    "ALBUM_TYPE", "TRACK_TYPE", "AlbumPage", "AlbumRecord", "AlbumTracks", "LibrarySection", "ListedAlbum", "MetadataItem",
    "PlexBadResponse", "PlexClient", "PlexError", "PlexNotFound", "PlexTLSError", "PlexUnauthorized",
    "PlexUnreachable", "ServerInfo", "TrackGroupPage", "TrackPage", "TrackRecord", "album_fingerprint", "identity_headers",
    "status_error", "translated",
]
