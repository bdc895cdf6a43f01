from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request

from plugin import metrics, state
from plugin.inbox import enqueue
from plugin.web.errors import error_response
from plugin.web.schemas import WebhookAnswer
from plugin.web.spec import RawBody, declare
from webhooks.parse import Ignored, WebhookRejected, payload_from, server_uuid, to_event

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
MAX_WEBHOOK_BODY = 512 * 1024   # Plex's thumb part is a small JPEG; the payload a few KB


@bp.errorhandler(WebhookRejected)
def _rejected(exc: WebhookRejected):
    metrics.record_webhook(exc.code)
    return error_response(exc.status, exc.code, exc.message)


_PAYLOAD = {"type": "object", "description": "Plex's webhook payload (event, Server.uuid, Metadata)"}


@bp.post("/plex/<secret>")
@declare("Plex webhooks (the secret in the URL is the credential)", auth="webhook_secret", tags=("webhooks",),
         body=RawBody({"anyOf": [_PAYLOAD, {"type": "object", "properties": {"payload": {"type": "string"}}}]},
                      content_types=("application/json", "multipart/form-data"), parse=False),
         responses={200: WebhookAnswer, 202: WebhookAnswer, 400: None, 401: None, 403: None, 409: None, 411: None,
                    413: None, 415: None})
def plex_webhook(secret: str):
    runtime = current_app.extensions["plexbooks"]
    # Plex may post a burst (one event per track): settings a few seconds old are fine here.
    expected = state.webhook_secret(runtime, max_age=5.0)
    if not hmac.compare_digest(secret.encode(), expected.encode()):
        raise WebhookRejected(401, "unauthorized", "unknown webhook URL")
    if request.content_length is None or request.content_length > MAX_WEBHOOK_BODY:
        if request.content_length is None:
            raise WebhookRejected(411, "length_required", "send a Content-Length")
        raise WebhookRejected(413, "payload_too_large", f"webhook bodies are limited to {MAX_WEBHOOK_BODY} bytes")
    content_type = request.headers.get("Content-Type", "")
    raw = b"" if content_type.startswith("multipart/") else request.get_data(cache=False)
    payload = payload_from(content_type, request.form, raw)
    machine_identifier = state.machine_identifier(runtime, max_age=30.0)
    if not machine_identifier:
        raise WebhookRejected(409, "not_configured", "plexbooks has not connected to Plex yet")
    uuid = server_uuid(payload)
    if uuid is None or not hmac.compare_digest(uuid.encode(), machine_identifier.encode()):
        raise WebhookRejected(403, "wrong_server", "the webhook comes from another Plex server")
    event = to_event(payload, set(runtime.config(max_age=5.0).plex_library))
    if isinstance(event, Ignored):
        metrics.record_webhook("ignored")
        return jsonify({"status": "ignored", "reason": event.reason}), 200
    event_id, coalesced = enqueue(runtime, event)
    metrics.record_webhook("coalesced" if coalesced else "accepted")
    return jsonify({"status": "accepted", "event_id": event_id, "coalesced": coalesced}), 202
