from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, or_, select

from plugin import refresh
from plugin.models import LibraryItem
from plugin.serializers import item_dict
from plugin.web.auth import allow_users, require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import LibraryItemOut, LibraryPage, LibraryQuery, RefreshBody, RefreshOut
from plugin.web.spec import declare
from plugin.web.validation import listing

bp = Blueprint("api_library", __name__, url_prefix="/api/v1")
require_api_key(bp)


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


@bp.post("/library/refresh")
@declare("Ask Plex to scan the folder the download pipeline just filled", body=RefreshBody,
         responses={202: RefreshOut, 422: None, 503: None}, tags=("library",),
         description="422 `invalid_path` when the path is not inside a configured section's folder "
                     "(after `path_mappings`); nothing is sent to Plex.")
def refresh_folder(body: RefreshBody):
    """202: Plex scans on its own; the real-time path (or the follow-up poll) confirms the book."""
    try:
        result = refresh.refresh_folder(current_app.extensions["plexbooks"], body.path)
    except refresh.PathRefused as exc:
        raise ApiError(422, "invalid_path", str(exc), exc.fields) from None
    return jsonify(result), 202


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
