from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from plugin import status as status_mod
from plugin.web.auth import require_api_key
from plugin.web.validation import json_body

bp = Blueprint("api_status", __name__, url_prefix="/api/v1")
require_api_key(bp)


@bp.get("/status")
def get_status():
    return jsonify(status_mod.status(current_app.extensions["plexbooks"]))


@bp.get("/config")
def get_config():
    runtime = current_app.extensions["plexbooks"]
    return jsonify({"settings": runtime.config().public(), "client_identifier": runtime.client_identifier,
                    "machine_identifier": runtime.machine_identifier(), "webhook_url": runtime.webhook_url()})


@bp.route("/config", methods=["PUT", "PATCH"])
def put_config():
    runtime = current_app.extensions["plexbooks"]
    config = runtime.save_settings(json_body())
    return jsonify({"settings": config.public()})
