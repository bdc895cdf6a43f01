"""Health endpoint for the container: the process answers and the database is reachable."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from plugin.web.schemas import Health
from plugin.web.spec import declare

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@declare("The process answers and the database is reachable", auth="none", responses={200: Health, 503: Health},
         tags=("meta",))
def healthz():
    runtime = current_app.extensions["plexbooks"]
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify({"status": "unhealthy", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})
