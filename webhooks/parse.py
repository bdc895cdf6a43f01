"""Reading what Plex posts: multipart ``payload`` (with a ``thumb`` part that is dropped)
or plain JSON, into a validated inbox event or a reason to ignore it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from plugin import storable
from plugin.inbox import ITEM_TYPES, NewEvent


class WebhookRejected(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Ignored:
    reason: str


def payload_from(content_type: str, form: Any, raw: bytes) -> dict[str, Any]:
    """The payload object, whichever way Plex (or a test) sent it."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    if mimetype == "multipart/form-data":
        text = form.get("payload")
        if text is None:
            raise WebhookRejected(400, "missing_payload", "the multipart body has no payload field")
    elif mimetype == "application/json":
        text = raw
    else:
        raise WebhookRejected(415, "unsupported_media_type",
                              "send multipart/form-data with a payload field, or application/json")
    try:
        # bytes that are not UTF-8 are malformed JSON too (json.loads would guess UTF-16/32)
        payload = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "malformed_json", "the payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "invalid_payload", "the payload must be a JSON object")
    return payload


def _short_str(value: Any, name: str, limit: int = 64) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit or not value.strip():
        raise WebhookRejected(400, "invalid_payload", f"{name} must be a short string")
    _storable(value, name)
    return value.strip()


def _storable(value: str, name: str) -> str:
    """Everything taken from a payload may be stored or compared as UTF-8: refuse NUL and
    unpaired surrogates (a JSON escape can carry one) by name."""
    reason = storable.problem(value)
    if reason:
        raise WebhookRejected(400, "invalid_payload", f"{name} {reason}")
    return value


def server_uuid(payload: dict[str, Any]) -> str | None:
    server = payload.get("Server")
    if not isinstance(server, dict):
        raise WebhookRejected(400, "invalid_payload", "the payload has no Server object")
    return _short_str(server.get("uuid"), "Server.uuid", 128)


def to_event(payload: dict[str, Any], sections: set[str]) -> NewEvent | Ignored:
    event = payload.get("event")
    if not isinstance(event, str) or not event or len(event) > 64:
        raise WebhookRejected(400, "invalid_payload", "the payload has no event name")
    _storable(event, "event")
    metadata = payload.get("Metadata")
    if event != "library.new":
        return Ignored(f"{event} events are not used")
    if not isinstance(metadata, dict):
        raise WebhookRejected(400, "invalid_payload", "a library.new payload needs a Metadata object")
    section = _short_str(metadata.get("librarySectionID"), "Metadata.librarySectionID")
    if section is None:
        raise WebhookRejected(400, "invalid_payload", "Metadata.librarySectionID is missing")
    if section not in sections:
        return Ignored(f"section {section} is not a configured audiobook library")
    item_type = metadata.get("type")
    if item_type not in ITEM_TYPES:
        return Ignored(f"{item_type!s:.32} items are not audiobooks")
    rating_key = _short_str(metadata.get("ratingKey"), "Metadata.ratingKey")
    if rating_key is None:
        raise WebhookRejected(400, "invalid_payload", "Metadata.ratingKey is missing")
    title = _storable(metadata["title"], "Metadata.title") if isinstance(metadata.get("title"), str) else None
    return NewEvent(source="webhook", event="library.new", item_type=item_type, rating_key=rating_key,
                    section_key=section, parent_rating_key=_short_str(metadata.get("parentRatingKey"),
                                                                      "Metadata.parentRatingKey"),
                    title=title)
