"""Notification targets and their delivery log (admin only)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from plugin import notification_targets as targets
from plugin.outbox import EVENTS
from plugin.web.auth import require_api_key
from plugin.web.errors import ApiError
from plugin.web.validation import int_arg, json_body, listing, page_args, str_arg

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1/notifications")
require_api_key(bp)
DELIVERY_STATUSES = ("pending", "delivered")


def _invalid(exc: targets.TargetInvalid) -> ApiError:
    return ApiError(422, "invalid_fields", "some fields are not valid", exc.fields)


@bp.post("/targets")
def create_target():
    try:
        return jsonify(targets.create(current_app.extensions["plexbooks"], json_body())), 201
    except targets.TargetInvalid as exc:
        raise _invalid(exc) from None


@bp.get("/targets")
def list_targets():
    limit, offset = page_args()
    items, total = targets.listing(current_app.extensions["plexbooks"], limit, offset)
    return jsonify(listing(items, total, limit, offset))


@bp.get("/targets/<int:target_id>")
def get_target(target_id: int):
    found = targets.get(current_app.extensions["plexbooks"], target_id)
    if found is None:
        raise ApiError(404, "not_found", f"no notification target {target_id}")
    return jsonify(found)


@bp.patch("/targets/<int:target_id>")
def update_target(target_id: int):
    body = json_body()
    if not body:
        raise ApiError(422, "invalid_fields", "nothing to change", {"body": "give at least one field"})
    try:
        found = targets.update(current_app.extensions["plexbooks"], target_id, body)
    except targets.TargetInvalid as exc:
        raise _invalid(exc) from None
    if found is None:
        raise ApiError(404, "not_found", f"no notification target {target_id}")
    return jsonify(found)


@bp.delete("/targets/<int:target_id>")
def delete_target(target_id: int):
    if not targets.delete(current_app.extensions["plexbooks"], target_id):
        raise ApiError(404, "not_found", f"no notification target {target_id}")
    return jsonify({"deleted": True, "id": target_id})


@bp.get("/deliveries")
def list_deliveries():
    limit, offset = page_args()
    target_id = int_arg("target_id", 0, minimum=1) or None
    status = str_arg("status", max_length=16)
    event = str_arg("event", max_length=32)
    if status and status not in DELIVERY_STATUSES:
        raise ApiError(400, "invalid_parameter", "unknown status",
                       {"status": f"one of {', '.join(DELIVERY_STATUSES)}"})
    if event and event not in EVENTS:
        raise ApiError(400, "invalid_parameter", "unknown event", {"event": f"one of {', '.join(EVENTS)}"})
    items, total = targets.deliveries(current_app.extensions["plexbooks"], target_id=target_id, status=status,
                                      event_type=event, limit=limit, offset=offset)
    return jsonify(listing(items, total, limit, offset))
