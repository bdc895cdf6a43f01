from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, or_, select

from plugin import refresh
from plugin.models import LibraryItem
from plugin.serializers import item_dict
from plugin.web.auth import require_api_key
from plugin.web.errors import ApiError
from plugin.web.validation import json_body, listing, page_args, str_arg

bp = Blueprint("api_library", __name__, url_prefix="/api/v1")
require_api_key(bp)


@bp.get("/library")
def list_library():
    limit, offset = page_args()
    q = str_arg("q")
    runtime = current_app.extensions["plexbooks"]
    query = select(LibraryItem)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(LibraryItem.title.ilike(like), LibraryItem.author.ilike(like),
                                LibraryItem.narrator.ilike(like), LibraryItem.asin == q.upper()))
    with runtime.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(LibraryItem.added_at.desc(), LibraryItem.id.desc())
                         .limit(limit).offset(offset)).all()
        return jsonify(listing([item_dict(r) for r in rows], total, limit, offset))


@bp.post("/library/refresh")
def refresh_folder():
    """Ask Plex to scan the folder the download pipeline just filled (202: Plex scans on its own)."""
    body = json_body()
    unknown = {k: "unknown field" for k in body if k != "path"}
    if unknown:
        raise ApiError(422, "invalid_fields", "some fields are not valid", unknown)
    try:
        result = refresh.refresh_folder(current_app.extensions["plexbooks"], body.get("path"))
    except refresh.PathRefused as exc:
        raise ApiError(422, "invalid_path", str(exc), exc.fields) from None
    return jsonify(result), 202


@bp.get("/library/<rating_key>")
def get_item(rating_key: str):
    runtime = current_app.extensions["plexbooks"]
    if len(rating_key) > 64:
        raise ApiError(404, "not_found", "no library item with that ratingKey")
    with runtime.session() as s:
        item = s.scalars(select(LibraryItem).where(LibraryItem.rating_key == rating_key)).first()
        if item is None:
            raise ApiError(404, "not_found", f"no library item with ratingKey {rating_key}")
        return jsonify(item_dict(item))
