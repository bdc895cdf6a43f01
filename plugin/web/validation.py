"""Reading request input: JSON bodies and query parameters, with per-field errors."""
from __future__ import annotations

from typing import Any

from flask import request

from plugin.web.errors import ApiError


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send a JSON body with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "malformed_json", "the body is not valid JSON")
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "the body must be a JSON object")
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
    return int_arg("limit", default_limit, minimum=1, maximum=max_limit), int_arg("offset", 0, minimum=0)


def listing(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}
