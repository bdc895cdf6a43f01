"""Labelled pairs as JSON lines: the engine behind ``plexbooks match-pairs``."""
from __future__ import annotations

import json
from typing import Callable, Iterable, Iterator, Mapping, TypeVar

from plugin.matching.decision import explain
from plugin.matching.evidence import check_duration_ms, check_language
from plugin.matching.sides import ItemSide, RequestSide

_REQUEST_FIELDS = ("title", "author", "narrator", "asin")
_ITEM_FIELDS = ("title", "author", "narrator", "asin", "guid")
T = TypeVar("T")


def _opt_str(obj: Mapping[str, object], name: str, where: str) -> str | None:
    value = obj.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{where}.{name} must be a string or null")


def _str_list(obj: Mapping[str, object], name: str, where: str) -> tuple[str, ...]:
    value = obj.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where}.{name} must be a string or a list of strings")


def _opt(obj: Mapping[str, object], name: str, where: str, check: Callable[[object], T]) -> T | None:
    value = obj.get(name)
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise ValueError(f"{where}.{name} {exc}") from None


def _pair_from_json(obj: object) -> tuple[RequestSide, ItemSide]:
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object with 'request' and 'item'")
    req, item = obj.get("request"), obj.get("item")
    if not isinstance(req, dict):
        raise ValueError("'request' must be an object")
    if not isinstance(item, dict):
        raise ValueError("'item' must be an object")
    if not isinstance(req.get("title"), str):
        raise ValueError("request.title must be a string")
    if not isinstance(item.get("title"), str):
        raise ValueError("item.title must be a string")
    request_side = RequestSide(
        **{f: _opt_str(req, f, "request") for f in _REQUEST_FIELDS},  # type: ignore[arg-type]
        duration_ms=_opt(req, "duration_ms", "request", check_duration_ms),
        language=_opt(req, "language", "request", check_language),
    )
    paths = _str_list(item, "file_path", "item") + _str_list(item, "file_paths", "item")
    item_side = ItemSide(
        **{f: _opt_str(item, f, "item") for f in _ITEM_FIELDS},  # type: ignore[arg-type]
        guids=_str_list(item, "guids", "item"),
        file_paths=paths,
        duration_ms=_opt(item, "duration_ms", "item", check_duration_ms),
    )
    return request_side, item_side


def match_pairs(lines: Iterable[str]) -> Iterator[dict[str, object]]:
    """Decide each JSON-lines pair; the engine behind ``plexbooks match-pairs FILE``.

    Each line is ``{"request": {"title", "author", "narrator", "asin", "duration_ms",
    "language"}, "item": {"title", "author", "narrator", "guid", "asin", "file_path",
    "duration_ms"}}`` (only the titles are required; ``file_path`` may be a list, and
    ``file_paths`` is taken too).
    Yields the decision's fields plus ``line`` (1-based) per pair. A malformed line
    yields ``{"line": n, "error": "..."}`` instead and the run goes on: one bad line in a
    file of thousands should not hide the other answers. Blank lines are skipped.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            request, item = _pair_from_json(json.loads(line))
        except (ValueError, TypeError, RecursionError) as exc:
            yield {"line": number, "error": f"line {number}: {exc}"}
            continue
        yield {"line": number, **explain(request, item).as_dict()}
