"""Requests API and catalogue availability (ASIN-only, exact)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import func, select

from plugin import refresh
from plugin import requests_service as service
from plugin.asin import normalize_asin
from plugin.models import STATUSES, AudiobookRequest, LibraryItem
from plugin.serializers import item_dict, request_dict
from plugin.web.auth import require_api_key
from plugin.web.errors import ApiError
from plugin.web.validation import json_body, listing, page_args, str_arg

bp = Blueprint("api_requests", __name__, url_prefix="/api/v1")
require_api_key(bp)
MAX_ASINS = 1000

# name -> (kind, max length or bound, required)
CREATE_FIELDS: dict[str, tuple[str, int, bool]] = {
    "title": ("text", 512, True), "author": ("text", 512, False), "narrator": ("text", 512, False),
    "asin": ("asin", 10, False), "user": ("text", 128, False), "status": ("status", 32, False),
}
UPDATE_FIELDS: dict[str, tuple[str, int, bool]] = {
    "status": ("status", 32, False), "error_message": ("text", 4000, False),
    "search_attempts": ("count", 1_000_000, False), "download_attempts": ("count", 1_000_000, False),
    "import_attempts": ("count", 1_000_000, False), "path": ("text", 4096, False),
}


def validate(body: dict[str, Any], spec: dict[str, tuple[str, int, bool]]) -> dict[str, Any]:
    """Every field checked; all errors reported at once as 422 with per-field messages."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in body:
        if name not in spec:
            errors[name] = "unknown field"
    for name, (kind, bound, required) in spec.items():
        if name not in body or body[name] is None:
            if required:
                errors[name] = "required"
            elif name in body:
                if kind in ("status", "count"):
                    errors[name] = "cannot be null"
                else:
                    out[name] = None
            continue
        value = body[name]
        if kind == "count":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= bound:
                errors[name] = f"must be a whole number from 0 to {bound}"
            else:
                out[name] = value
            continue
        if not isinstance(value, str):
            errors[name] = "must be a string"
            continue
        value = value.strip()
        if kind == "asin":
            asin = normalize_asin(value)
            if asin is None:
                errors[name] = "not an ASIN: B0 and 8 letters or digits, or an ISBN-10"
            out[name] = asin
        elif kind == "status":
            if value not in STATUSES:
                errors[name] = f"unknown status; one of {', '.join(STATUSES)}"
            out[name] = value
        elif required and not value:
            errors[name] = "must not be empty"
        elif len(value) > bound:
            errors[name] = f"at most {bound} characters"
        else:
            out[name] = value or None
    if errors:
        raise ApiError(422, "invalid_fields", "some fields are not valid", errors)
    return out


def _load(runtime, request_id: int) -> dict[str, Any]:
    with runtime.session() as s:
        req = s.get(AudiobookRequest, request_id)
        if req is None:
            raise ApiError(404, "not_found", f"no request {request_id}")
        item = s.get(LibraryItem, req.library_item_id) if req.library_item_id else None
        return request_dict(req, item)


@bp.post("/requests")
def create_request():
    runtime = current_app.extensions["plexbooks"]
    fields = validate(json_body(), CREATE_FIELDS)
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
def list_requests():
    runtime = current_app.extensions["plexbooks"]
    limit, offset = page_args()
    statuses = str_arg("status")
    user = str_arg("user", max_length=128)
    query = select(AudiobookRequest)
    if statuses:
        wanted = [s.strip() for s in statuses.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise ApiError(400, "invalid_parameter", "unknown status", {"status": f"unknown: {', '.join(unknown)}"})
        query = query.where(AudiobookRequest.status.in_(wanted))
    if user:
        query = query.where(AudiobookRequest.user == user)
    with runtime.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(AudiobookRequest.id.desc()).limit(limit).offset(offset)).all()
        item_ids = {r.library_item_id for r in rows if r.library_item_id}
        items = {i.id: i for i in s.scalars(select(LibraryItem).where(LibraryItem.id.in_(item_ids)))} \
            if item_ids else {}
        return jsonify(listing([request_dict(r, items.get(r.library_item_id)) for r in rows], total, limit, offset))


@bp.get("/requests/<int:request_id>")
def get_request(request_id: int):
    return jsonify(_load(current_app.extensions["plexbooks"], request_id))


@bp.patch("/requests/<int:request_id>")
def update_request(request_id: int):
    runtime = current_app.extensions["plexbooks"]
    changes = validate(json_body(), UPDATE_FIELDS)
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
def delete_request(request_id: int):
    runtime = current_app.extensions["plexbooks"]
    flag = request.args.get("delete_from_plex", "false").lower()
    if flag not in ("true", "false", "1", "0"):
        raise ApiError(400, "invalid_parameter", "delete_from_plex must be true or false",
                       {"delete_from_plex": "true or false"})
    plex = service.delete(runtime, request_id, delete_from_plex=flag in ("true", "1"))
    if plex is None:
        raise ApiError(404, "not_found", f"no request {request_id}")
    return jsonify({"deleted": True, "id": request_id, "plex": plex})


@bp.get("/requests/<int:request_id>/candidates")
def request_candidates(request_id: int):
    runtime = current_app.extensions["plexbooks"]
    limit, _ = page_args(5, 50)
    found = service.candidates(runtime, request_id, limit)
    if found is None:
        raise ApiError(404, "not_found", f"no request {request_id}")
    return jsonify(listing(found, len(found), limit, 0))


@bp.post("/availability")
def availability():
    """Is each ASIN in the library? ASIN-only and exact: no fuzzy guess ever says yes."""
    runtime = current_app.extensions["plexbooks"]
    body = json_body()
    unknown = {k: "unknown field" for k in body if k != "asins"}
    asins = body.get("asins")
    if unknown:
        raise ApiError(422, "invalid_fields", "some fields are not valid", unknown)
    if not isinstance(asins, list):
        raise ApiError(422, "invalid_fields", "asins must be a list", {"asins": "must be a list of ASINs"})
    if len(asins) > MAX_ASINS:
        raise ApiError(422, "invalid_fields", f"at most {MAX_ASINS} ASINs per call",
                       {"asins": f"at most {MAX_ASINS}"})
    errors = {f"asins[{i}]": "not an ASIN" for i, a in enumerate(asins) if normalize_asin(a) is None}
    if errors:
        raise ApiError(422, "invalid_fields", "some ASINs are not valid", dict(list(errors.items())[:50]))
    wanted = list(dict.fromkeys(normalize_asin(a) for a in asins))
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
