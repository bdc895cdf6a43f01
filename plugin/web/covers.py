"""Cover images, proxied: the browser asks plexbooks, plexbooks asks Plex with its token and
keeps a copy in ``<data_dir>/covers``. The Plex token never reaches the browser."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app
from sqlalchemy import select

from plugin.models import LibraryItem
from plugin.plex import PlexError
from plugin.web.auth import allow_users, require_api_key
from plugin.web.errors import ApiError
from plugin.web.spec import declare

bp = Blueprint("covers", __name__, url_prefix="/api/v1")
require_api_key(bp)
_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}


def _cache_dir() -> Path:
    path = current_app.extensions["plexbooks"].data_dir / "covers"
    path.mkdir(exist_ok=True)
    return path


@bp.get("/library/<rating_key>/cover")
@allow_users
@declare("The item's cover image (cached by plexbooks)", tags=("library",),
         responses={200: ("image/jpeg", {"type": "string", "format": "binary"}), 404: None, 502: None, 503: None})
def cover(rating_key: str):
    runtime = current_app.extensions["plexbooks"]
    with runtime.session() as s:
        thumb = s.scalar(select(LibraryItem.thumb).where(LibraryItem.rating_key == rating_key[:64]))
    if not thumb:
        raise ApiError(404, "not_found", "this item has no cover")
    key = hashlib.sha256(thumb.encode()).hexdigest()[:32]
    for media, suffix in _TYPES.items():
        cached = _cache_dir() / f"{key}{suffix}"
        if cached.exists():
            return _image(cached.read_bytes(), media)
    try:
        data, media = runtime.plex().image(thumb)
    except PlexError as exc:
        if exc.code == "plex_not_found":
            raise ApiError(404, "not_found", "Plex has no cover for this item") from None
        raise
    if media not in _TYPES:
        raise ApiError(502, "plex_bad_response", "Plex sent something that is not an image")
    target = _cache_dir() / f"{key}{_TYPES[media]}"
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return _image(data, media)


def _image(data: bytes, media: str) -> Response:
    response = Response(data, content_type=media)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
