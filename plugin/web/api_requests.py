"""Requests API and catalogue availability (ASIN-only, exact)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select

from plugin import refresh
from plugin import requests_service as service
from plugin.models import STATUSES, AudiobookRequest, LibraryItem
from plugin.serializers import item_dict, request_dict
from plugin.web.auth import allow_users, current_principal, require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import (
    AvailabilityBody,
    AvailabilityPage,
    CandidatesPage,
    CandidatesQuery,
    CreateRequest,
    DeleteOut,
    DeleteQuery,
    RejectedOut,
    RequestOut,
    RequestPage,
    RequestsQuery,
    UpdateRequest,
)
from plugin.web.spec import declare
from plugin.web.validation import listing

bp = Blueprint("api_requests", __name__, url_prefix="/api/v1")
require_api_key(bp)
MAX_ASINS = 1000


def _own_user() -> str | None:
    """The caller's user id when they are a user (not an admin): they see only their own requests."""
    caller = current_principal()
    return None if caller.is_admin else caller.user_id


def _load(runtime, request_id: int, owner: str | None = None) -> dict[str, Any]:
    with runtime.session() as s:
        req = s.get(AudiobookRequest, request_id)
        if req is None or (owner is not None and req.user != owner):
            raise ApiError(404, "not_found", f"no request {request_id}")
        item = s.get(LibraryItem, req.library_item_id) if req.library_item_id else None
        return request_dict(req, item)


@bp.post("/requests")
@allow_users
@declare("Create a request", body=CreateRequest, tags=("requests",),
         responses={201: RequestOut, 409: None, 422: None},
         description="409 with `reason` `already_available`, `duplicate_request` or `being_processed`, "
                     "and the conflicting record in `conflict`.")
def create_request(body: CreateRequest):
    runtime = current_app.extensions["plexbooks"]
    fields = body.model_dump()
    caller = current_principal()
    if caller.via == "session":
        # a signed-in person asks for themselves; only an admin may set another status
        if fields.get("user") not in (None, caller.user_id) and not caller.is_admin:
            raise ApiError(403, "forbidden", "users create requests for themselves", {"user": "must be you"})
        if fields.get("status", "pending") != "pending" and not caller.is_admin:
            raise ApiError(403, "forbidden", "new requests start as pending", {"status": "must be pending"})
        if fields.get("user") is None:
            fields["user"] = caller.user_id
    try:
        request_id = service.create(runtime, fields)
    except service.Conflict as conflict:
        record = _conflict_record(runtime, conflict)
        raise ApiError(409, conflict.reason, conflict.message, reason=conflict.reason,
                       conflict={"type": conflict.record_type, "record": record, "match": conflict.match}) from None
    return jsonify(_load(runtime, request_id)), 201


def _conflict_record(runtime, conflict: service.Conflict) -> dict[str, Any] | None:
    if conflict.record_type == "request":
        return _load(runtime, conflict.record_id)
    with runtime.session() as s:
        item = s.get(LibraryItem, conflict.record_id)
        return item_dict(item) if item else None


@bp.get("/requests")
@allow_users
@declare("List requests", query=RequestsQuery, responses={200: RequestPage}, tags=("requests",))
def list_requests(query: RequestsQuery):
    runtime = current_app.extensions["plexbooks"]
    limit, offset, statuses, user = query.limit, query.offset, query.status, query.user
    own = _own_user()
    if own is not None:
        if user not in (None, own):
            raise ApiError(403, "forbidden", "users list only their own requests", {"user": "must be you"})
        user = own
    rows_query = select(AudiobookRequest)
    if statuses:
        wanted = [s.strip() for s in statuses.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise ApiError(400, "invalid_parameter", "unknown status", {"status": f"unknown: {', '.join(unknown)}"})
        rows_query = rows_query.where(AudiobookRequest.status.in_(wanted))
    if user:
        rows_query = rows_query.where(AudiobookRequest.user == user)
    with runtime.session() as s:
        total = s.scalar(select(func.count()).select_from(rows_query.subquery()))
        rows = s.scalars(rows_query.order_by(AudiobookRequest.id.desc()).limit(limit).offset(offset)).all()
        item_ids = {r.library_item_id for r in rows if r.library_item_id}
        items = {i.id: i for i in s.scalars(select(LibraryItem).where(LibraryItem.id.in_(item_ids)))} \
            if item_ids else {}
        return jsonify(listing([request_dict(r, items.get(r.library_item_id)) for r in rows], total, limit, offset))


@bp.get("/requests/<int:request_id>")
@allow_users
@declare("One request with its library item and how it matched", responses={200: RequestOut, 404: None},
         tags=("requests",))
def get_request(request_id: int):
    return jsonify(_load(current_app.extensions["plexbooks"], request_id, _own_user()))


@bp.patch("/requests/<int:request_id>")
@allow_users
@declare("Change pipeline fields; a request moved to an open status is matched at once", body=UpdateRequest,
         responses={200: RequestOut, 404: None, 422: None}, tags=("requests",))
def update_request(request_id: int, body: UpdateRequest):
    """Pipeline changes (admin); a user may only cancel their own request."""
    runtime = current_app.extensions["plexbooks"]
    changes = body.model_dump(exclude_unset=True)
    nulls = {k: "cannot be null" for k, v in changes.items()
             if v is None and k in ("status", "search_attempts", "download_attempts", "import_attempts")}
    if nulls:
        raise ApiError(422, "invalid_fields", "some fields are not valid", nulls)
    if not changes:     # before the user rule: an empty body is 422 for everyone, as it was
        raise ApiError(422, "invalid_fields", "nothing to change", {"body": "give at least one field"})
    own = _own_user()
    if own is not None:
        if changes != {"status": "cancelled"}:
            raise ApiError(403, "forbidden", "users may only cancel their own requests",
                           {"status": "only cancelled"})
        _load(runtime, request_id, own)       # 404 unless it is theirs
    path = changes.pop("path", None)
    if not changes and path is None:
        raise ApiError(422, "invalid_fields", "nothing to change", {"body": "give at least one field"})
    if path is not None and changes.get("status") != "downloaded":
        raise ApiError(422, "invalid_fields", "a path goes with status downloaded",
                       {"path": "only with \"status\": \"downloaded\""})
    planned = None
    if path is not None:
        _load(runtime, request_id)                      # 404 before anything reaches Plex
        try:
            planned = refresh.plan_refresh(runtime, path)   # 422 before anything is stored
        except refresh.PathRefused as exc:
            raise ApiError(422, "invalid_path", str(exc), exc.fields) from None
    if not service.update(runtime, request_id, changes):
        raise ApiError(404, "not_found", f"no request {request_id}")
    if planned is not None:
        planned.send(runtime)
    return jsonify(_load(runtime, request_id))


@bp.delete("/requests/<int:request_id>")
@declare("Delete a request; optionally the Plex item too", query=DeleteQuery, responses={200: DeleteOut, 404: None},
         tags=("requests",))
def delete_request(request_id: int, query: DeleteQuery):
    runtime = current_app.extensions["plexbooks"]
    flag = query.delete_from_plex
    plex = service.delete(runtime, request_id, delete_from_plex=flag in ("true", "1"))
    if plex is None:
        raise ApiError(404, "not_found", f"no request {request_id}")
    return jsonify({"deleted": True, "id": request_id, "plex": plex})


@bp.get("/requests/<int:request_id>/candidates")
@declare("The best library candidates with their explanations, near misses included", query=CandidatesQuery,
         responses={200: CandidatesPage, 404: None}, tags=("requests",))
def request_candidates(request_id: int, query: CandidatesQuery):
    runtime = current_app.extensions["plexbooks"]
    limit = query.limit
    found = service.candidates(runtime, request_id, limit)
    if found is None:
        raise ApiError(404, "not_found", f"no request {request_id}")
    return jsonify(listing(found, len(found), limit, 0))


@bp.post("/requests/<int:request_id>/candidates/<int:item_id>/accept")
@declare("Near-miss review: link this library item; the request turns available with reason `manual`",
         responses={200: RequestOut, 404: None, 409: None}, tags=("requests",))
def accept_candidate(request_id: int, item_id: int):
    runtime = current_app.extensions["plexbooks"]
    try:
        service.accept_candidate(runtime, request_id, item_id, current_principal().username)
    except service.ReviewError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return jsonify(_load(runtime, request_id))


@bp.post("/requests/<int:request_id>/candidates/<int:item_id>/reject")
@declare("Near-miss review: this item is not the book; the pair is never proposed again",
         responses={200: RejectedOut, 404: None}, tags=("requests",))
def reject_candidate(request_id: int, item_id: int):
    runtime = current_app.extensions["plexbooks"]
    try:
        new = service.reject_candidate(runtime, request_id, item_id, current_principal().username)
    except service.ReviewError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return jsonify({"rejected": True, "request_id": request_id, "library_item_id": item_id, "new": new})


@bp.post("/availability")
@allow_users
@declare("Is each ASIN in the library? ASIN-only and exact", body=AvailabilityBody,
         responses={200: AvailabilityPage, 422: None}, tags=("requests",))
def availability(body: AvailabilityBody):
    """Is each ASIN in the library? ASIN-only and exact: no fuzzy guess ever says yes."""
    runtime = current_app.extensions["plexbooks"]
    wanted = list(dict.fromkeys(body.asins))
    found: dict[str, LibraryItem] = {}
    with runtime.session() as s:
        for start in range(0, len(wanted), 500):
            for item in s.scalars(select(LibraryItem).where(LibraryItem.asin.in_(wanted[start:start + 500]))):
                found.setdefault(item.asin, item)
    items = [{"asin": a, "available": a in found,
              "rating_key": found[a].rating_key if a in found else None,
              "guid": found[a].guid if a in found else None,
              "title": found[a].title if a in found else None} for a in wanted]
    return jsonify(listing(items, len(items), MAX_ASINS, 0))
