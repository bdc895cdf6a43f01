"""How requests and library items look from outside: the API and the outbound events share
these, so a webhook body shows a record exactly as ``GET /api/v1/...`` does.

They take ORM objects or SQLAlchemy rows alike (both have the columns as attributes).
"""
from __future__ import annotations

from typing import Any

from plugin.status import iso


def item_dict(item: Any) -> dict[str, Any]:
    return {
        "id": item.id, "rating_key": item.rating_key, "guid": item.guid, "section_key": item.section_key,
        "title": item.title, "author": item.author, "narrator": item.narrator, "asin": item.asin,
        "asin_source": item.asin_source, "external_guids": item.external_guids or [], "year": item.year,
        "duration_ms": item.duration_ms, "duration": item.duration_ms, "file_paths": item.file_paths or [],
        "summary": item.summary, "thumb": item.thumb, "user_rating": item.user_rating,
        "added_at": item.added_at, "updated_at": item.updated_at,
        "first_seen_at": iso(item.first_seen_at), "last_seen_at": iso(item.last_seen_at),
    }


def request_dict(req: Any, item: Any | None) -> dict[str, Any]:
    return {
        "id": req.id, "user": req.user, "title": req.title, "author": req.author, "narrator": req.narrator,
        "asin": req.asin, "duration_ms": req.duration_ms, "language": req.language,
        "status": req.status, "error_message": req.error_message,
        "search_attempts": req.search_attempts, "download_attempts": req.download_attempts,
        "import_attempts": req.import_attempts,
        "library_item": None if item is None else {"id": item.id, "rating_key": item.rating_key, "guid": item.guid,
                                                   "title": item.title, "author": item.author},
        "match": None if req.match_reason is None else {"reason": req.match_reason, "score": req.match_score,
                                                        "details": req.match_details},
        "created_at": iso(req.created_at), "updated_at": iso(req.updated_at), "completed_at": iso(req.completed_at),
    }
