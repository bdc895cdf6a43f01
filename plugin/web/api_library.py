from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, or_, select

from plugin.models import LibraryItem
from plugin.status import iso
from plugin.web.auth import allow_users, require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import LibraryItemOut, LibraryPage, LibraryQuery
from plugin.web.spec import declare
from plugin.web.validation import listing

bp = Blueprint("api_library", __name__, url_prefix="/api/v1")
require_api_key(bp)


def item_dict(item: LibraryItem) -> dict[str, Any]:
    return {
        "id": item.id, "rating_key": item.rating_key, "guid": item.guid, "section_key": item.section_key,
        "title": item.title, "author": item.author, "narrator": item.narrator, "asin": item.asin,
        "asin_source": item.asin_source, "external_guids": item.external_guids or [], "year": item.year,
        "duration_ms": item.duration_ms, "duration": item.duration_ms, "file_paths": item.file_paths or [],
        "summary": item.summary, "thumb": item.thumb, "user_rating": item.user_rating,
        "added_at": item.added_at, "updated_at": item.updated_at,
        "first_seen_at": iso(item.first_seen_at), "last_seen_at": iso(item.last_seen_at),
    }


@bp.get("/library")
@allow_users
@declare("The mirror, newest first", query=LibraryQuery, responses={200: LibraryPage}, tags=("library",))
def list_library(query: LibraryQuery):
    limit, offset, q = query.limit, query.offset, query.q
    runtime = current_app.extensions["plexbooks"]
    stmt = select(LibraryItem)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(LibraryItem.title.ilike(like), LibraryItem.author.ilike(like),
                                LibraryItem.narrator.ilike(like), LibraryItem.asin == q.upper()))
    with runtime.session() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = s.scalars(stmt.order_by(LibraryItem.added_at.desc(), LibraryItem.id.desc())
                         .limit(limit).offset(offset)).all()
        return jsonify(listing([item_dict(r) for r in rows], total, limit, offset))


@bp.get("/library/<rating_key>")
@allow_users
@declare("One library item", responses={200: LibraryItemOut, 404: None}, tags=("library",))
def get_item(rating_key: str):
    runtime = current_app.extensions["plexbooks"]
    if len(rating_key) > 64:
        raise ApiError(404, "not_found", "no library item with that ratingKey")
    with runtime.session() as s:
        item = s.scalars(select(LibraryItem).where(LibraryItem.rating_key == rating_key)).first()
        if item is None:
            raise ApiError(404, "not_found", f"no library item with ratingKey {rating_key}")
        return jsonify(item_dict(item))
