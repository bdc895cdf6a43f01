"""Health endpoint for the container: the process answers and the database is reachable.

With ``health_requires_worker`` on (``plexbooks run`` sets it), a worker must also be alive —
its heartbeat in the database is fresh — so a container whose worker died is reported unhealthy
instead of answering ok while nothing processes events.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from plugin.state import worker_state
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
    if runtime.config().health_requires_worker:
        state = worker_state(runtime)
        if not (state and state["alive"]):
            return jsonify({"status": "unhealthy", "worker": "stopped" if state else "not started"}), 503
    return jsonify({"status": "ok"})
