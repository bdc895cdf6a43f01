"""Notification targets and their delivery log (admin only)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from plugin import notification_targets as targets
from plugin.outbox import EVENTS
from plugin.web.auth import require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import (
    CreateTarget,
    DeliveriesPage,
    DeliveriesQuery,
    NewTargetOut,
    TargetDeleted,
    TargetOut,
    TargetsPage,
    TargetsQuery,
    UpdateTarget,
)
from plugin.web.spec import declare
from plugin.web.validation import listing

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1/notifications")
require_api_key(bp)
DELIVERY_STATUSES = ("pending", "delivered")
TAGS = ("notifications",)


def _invalid(exc: targets.TargetInvalid) -> ApiError:
    return ApiError(422, "invalid_fields", "some fields are not valid", exc.fields)


@bp.post("/targets")
@declare("Add a webhook or Apprise target; a webhook's signing secret is in this answer only", body=CreateTarget,
         responses={201: NewTargetOut, 422: None}, tags=TAGS,
         description="422 `invalid_fields` when a field is wrong or the URL may not be called "
                     "(only Plex's host unless `notification_allowed_hosts` admits others); nothing is stored.")
def create_target(body: CreateTarget):
    try:
        return jsonify(targets.create(current_app.extensions["plexbooks"], body.model_dump(exclude_unset=True))), 201
    except targets.TargetInvalid as exc:
        raise _invalid(exc) from None


@bp.get("/targets")
@declare("List notification targets", query=TargetsQuery, responses={200: TargetsPage}, tags=TAGS)
def list_targets(query: TargetsQuery):
    items, total = targets.listing(current_app.extensions["plexbooks"], query.limit, query.offset)
    return jsonify(listing(items, total, query.limit, query.offset))


@bp.get("/targets/<int:target_id>")
@declare("One notification target, with what waits for it", responses={200: TargetOut, 404: None}, tags=TAGS)
def get_target(target_id: int):
    found = targets.get(current_app.extensions["plexbooks"], target_id)
    if found is None:
        raise ApiError(404, "not_found", f"no notification target {target_id}")
    return jsonify(found)


@bp.patch("/targets/<int:target_id>")
@declare("Change a target; enabling a paused one resumes it", body=UpdateTarget,
         responses={200: TargetOut, 404: None, 422: None}, tags=TAGS)
def update_target(target_id: int, body: UpdateTarget):
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise ApiError(422, "invalid_fields", "nothing to change", {"body": "give at least one field"})
    try:
        found = targets.update(current_app.extensions["plexbooks"], target_id, changes)
    except targets.TargetInvalid as exc:
        raise _invalid(exc) from None
    if found is None:
        raise ApiError(404, "not_found", f"no notification target {target_id}")
    return jsonify(found)


@bp.delete("/targets/<int:target_id>")
@declare("Delete a target and what waits for it", responses={200: TargetDeleted, 404: None}, tags=TAGS)
def delete_target(target_id: int):
    if not targets.delete(current_app.extensions["plexbooks"], target_id):
        raise ApiError(404, "not_found", f"no notification target {target_id}")
    return jsonify({"deleted": True, "id": target_id})


@bp.get("/deliveries")
@declare("The delivery log, newest first", query=DeliveriesQuery, responses={200: DeliveriesPage}, tags=TAGS)
def list_deliveries(query: DeliveriesQuery):
    status, event = query.status or None, query.event or None
    if status and status not in DELIVERY_STATUSES:
        raise ApiError(400, "invalid_parameter", "unknown status",
                       {"status": f"one of {', '.join(DELIVERY_STATUSES)}"})
    if event and event not in EVENTS:
        raise ApiError(400, "invalid_parameter", "unknown event", {"event": f"one of {', '.join(EVENTS)}"})
    items, total = targets.deliveries(current_app.extensions["plexbooks"], target_id=query.target_id, status=status,
                                      event_type=event, limit=query.limit, offset=query.offset)
    return jsonify(listing(items, total, query.limit, query.offset))
