"""What a listing child process derives from an album for the mirror's writer, so that work
runs on another core while the parent writes. Importable without the database layers: a
child that imported them would start seconds later."""
from __future__ import annotations

from plugin.plex import AlbumRecord

MAX_TEXT = 1024     # the longest text a mirror column keeps


def stored_title(album: AlbumRecord) -> str:
    """The title as the mirror stores it."""
    return (album.title or "").strip()[:MAX_TEXT]


def prepare(album: AlbumRecord) -> frozenset[str]:
    """The look-up keys of the title as it will be stored (``title_keys``)."""
    from plugin.matching.keys import title_keys   # here: a re-scan that changed nothing never needs it
    return frozenset(title_keys(stored_title(album)))
