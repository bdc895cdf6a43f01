"""``GET /metrics``: Prometheus text format. Needs the admin API key (``X-Api-Key`` or
``Authorization: Bearer``, which is what Prometheus' ``authorization`` block sends) unless
the ``metrics_public`` setting is on."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from plugin import metrics, state
from plugin.web.errors import ApiError
from plugin.web.spec import declare

bp = Blueprint("metrics", __name__)


def presented_key() -> str | None:
    key = request.headers.get("X-Api-Key")
    if key:
        return key
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


@bp.get("/metrics")
@declare("Prometheus metrics (text format)", auth="metrics", tags=("meta",),
         responses={200: ("text/plain", {"type": "string"}), 401: None})
def scrape() -> Response:
    runtime = current_app.extensions["plexbooks"]
    if not runtime.config(max_age=5.0).metrics_public and not state.check_api_key(runtime, presented_key()):
        raise ApiError(401, "unauthorized",
                       "a valid admin API key is required (X-Api-Key or Authorization: Bearer)")
    body, content_type = metrics.exposition(runtime)
    return Response(body, status=200, content_type=content_type)
