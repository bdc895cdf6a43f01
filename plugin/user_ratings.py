"""A signed-in user's own Plex ratings.

A Plex user's ratings are read from Plex with *their* server access token (a listing read
with it carries their ``userRating``), never with the system token. A local admin has no
Plex account: they get the ratings the system token sees, as the last scan cached them in
the mirror.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from plugin.models import LibraryItem, User
from plugin.plex import ListedAlbum, PlexClient
from plugin.runtime import NotConfigured, Runtime
from plugin.signin import with_server_token


def _rated(client: PlexClient, sections: list[str], page_size: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for section in sections:
        for page in client.iter_album_pages(section, page_size=page_size):
            for album in page.albums:
                record = album.record() if isinstance(album, ListedAlbum) else album
                if record.user_rating is not None:
                    out[record.rating_key] = record.user_rating
    return out


def ratings(runtime: Runtime, user: User | None) -> list[dict[str, Any]]:
    """``[{"rating_key", "user_rating", "library_item_id", "title", "author"}]``, best rated first.
    ``user`` None (the API key) gets the ratings the scan cached, like a local admin."""
    config = runtime.config(with_secrets=False)
    if user is not None and user.kind == "plex":
        if not config.plex_library:
            raise NotConfigured({"plex_library": "not configured"})
        found = with_server_token(runtime, user, lambda client: _rated(client, list(config.plex_library),
                                                                       config.scan_page_size))
        with runtime.session() as s:
            items = {i.rating_key: i for start in range(0, len(found), 500) for i in s.scalars(
                select(LibraryItem).where(LibraryItem.rating_key.in_(list(found)[start:start + 500])))}
        rows = [(key, value, items.get(key)) for key, value in found.items()]
    else:
        with runtime.session() as s:
            rows = [(i.rating_key, i.user_rating, i) for i in
                    s.scalars(select(LibraryItem).where(LibraryItem.user_rating.is_not(None)))]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return [{"rating_key": key, "user_rating": value, "library_item_id": item.id if item else None,
             "title": item.title if item else None, "author": item.author if item else None}
            for key, value, item in rows]
