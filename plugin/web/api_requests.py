from __future__ import annotations

from flask import Blueprint

from plugin.web.auth import require_api_key

bp = Blueprint("api_requests", __name__, url_prefix="/api/v1")
require_api_key(bp)
