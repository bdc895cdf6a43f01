"""Reading request input: JSON bodies and query parameters, with per-field errors.

No text that a database cannot store gets past here (see plugin/storable.py): a JSON body
with a NUL or an unpaired surrogate anywhere is refused with 422 naming the field, a query or
path parameter with a NUL with 400 naming the parameter.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, request

from plugin import storable
from plugin.web.errors import ApiError

MAX_FIELD_ERRORS = 50
# Every database column holds 64-bit integers at most: a larger offset would fail in the driver.
MAX_OFFSET = 2**53


def register(app: Flask) -> None:
    app.before_request(refuse_unstorable_parameters)


def refuse_unstorable_parameters() -> None:
    """Query and path parameters reach database queries: refuse what no database can hold.
    (Werkzeug decodes them as UTF-8 with replacement, so only NUL can arrive.)"""
    errors: dict[str, str] = {}
    for name, value in list(request.args.items(multi=True)) + list((request.view_args or {}).items()):
        for text in (name, value) if isinstance(value, str) else (name,):
            reason = storable.problem(text)
            if reason:
                errors[storable.printable_name(name)] = reason
    if errors:
        raise ApiError(400, "invalid_parameter", "a parameter holds characters that cannot be stored", errors)


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "malformed_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "the body must be a JSON object")
    errors: dict[str, str] = {}
    for field, reason in storable.problems(body):
        errors.setdefault(field, reason)
        if len(errors) >= MAX_FIELD_ERRORS:
            break
    if errors:
        raise ApiError(422, "invalid_fields", "some fields hold characters that cannot be stored", errors)
    return body


def int_arg(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be a whole number",
                       {name: "must be a whole number"}) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise ApiError(400, "invalid_parameter", f"{name} must be {bound}", {name: f"must be {bound}"})
    return value


def str_arg(name: str, *, max_length: int = 200) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    if len(raw) > max_length:
        raise ApiError(400, "invalid_parameter", f"{name} is too long", {name: f"at most {max_length} characters"})
    return raw.strip()


def page_args(default_limit: int = 50, max_limit: int = 500) -> tuple[int, int]:
    return (int_arg("limit", default_limit, minimum=1, maximum=max_limit),
            int_arg("offset", 0, minimum=0, maximum=MAX_OFFSET))


def listing(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}
