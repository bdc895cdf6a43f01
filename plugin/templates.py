"""Message text for people: ``str.format`` templates restricted to plain named fields.

Attribute and index lookups (``{title.__class__}``, ``{x[0]}``) and unknown names are refused
when the template is saved, so a template can only ever print the book's fields.
"""
from __future__ import annotations

import string
from typing import Any, Mapping

FIELDS = ("event", "event_text", "title", "author", "narrator", "asin", "user", "status", "request_id",
          "rating_key")
EVENT_TEXT = {
    "request.available": "now available in Plex",
    "request.unavailable": "no longer in Plex",
    "request.created": "requested",
    "library.added": "added to Plex",
    "library.removed": "removed from Plex",
}
MAX_LENGTH = 2000
_FORMATTER = string.Formatter()


def check_template(raw: str) -> str:
    """The template itself, or ValueError saying what is not allowed."""
    if len(raw) > MAX_LENGTH:
        raise ValueError(f"at most {MAX_LENGTH} characters")
    try:
        parts = list(_FORMATTER.parse(raw))
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in FIELDS:
            raise ValueError(f"unknown field {{{name}}}; fields: {', '.join(FIELDS)}")
        if conversion or spec:
            raise ValueError("format specs and conversions are not allowed, only plain {field} names")
    return raw


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return ""


def fields_of(event_type: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The template fields of one event: the request's book, else the library item's."""
    request = data.get("request") or {}
    item = data.get("library_item") or request.get("library_item") or {}
    source = request or item

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "event": event_type, "event_text": EVENT_TEXT.get(event_type, event_type),
        "title": text(source.get("title")), "author": text(source.get("author")) or "unknown author",
        "narrator": text(source.get("narrator")), "asin": text(source.get("asin")),
        "user": text(request.get("user")), "status": text(request.get("status")),
        "request_id": text(request.get("id")), "rating_key": text(item.get("rating_key")),
    }


def render(template: str, event_type: str, data: Mapping[str, Any]) -> str:
    check_template(template)
    try:
        return template.format_map(_Fields(fields_of(event_type, data)))
    except (ValueError, TypeError):
        return template    # a bad format spec: show the text as written rather than nothing
