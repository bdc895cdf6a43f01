"""Admin API key check for every /api/v1 route."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from plugin.web.errors import ApiError


def require_api_key(bp: Blueprint) -> None:
    @bp.before_request
    def _check() -> None:
        runtime = current_app.extensions["plexbooks"]
        if not runtime.check_api_key(request.headers.get("X-Api-Key")):
            raise ApiError(401, "unauthorized", "a valid admin API key is required in the X-Api-Key header")
