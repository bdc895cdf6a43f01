from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from plugin import state
from plugin import status as status_mod
from plugin.settings import SETTINGS
from plugin.web.auth import require_api_key
from plugin.web.schemas import ConfigOut, StatusOut
from plugin.web.spec import RawBody, declare

bp = Blueprint("api_status", __name__, url_prefix="/api/v1")
require_api_key(bp)


@bp.get("/status")
@declare("Plex reachability, last runs, inbox, websocket, counts", responses={200: StatusOut}, tags=("status",))
def get_status():
    return jsonify(status_mod.status(current_app.extensions["plexbooks"]))


@bp.get("/config")
@declare("Settings with their source, secrets masked", responses={200: ConfigOut}, tags=("settings",))
def get_config():
    runtime = current_app.extensions["plexbooks"]
    return jsonify({"settings": runtime.config().public(), "client_identifier": runtime.client_identifier,
                    "machine_identifier": state.machine_identifier(runtime), "webhook_url": state.webhook_url(runtime)})


_TYPE_SCHEMA: dict[str, dict] = {
    "str": {"type": ["string", "null"], "maxLength": 4096},
    "url": {"type": ["string", "null"], "pattern": "^https?://", "maxLength": 2048},
    "int": {"type": ["integer", "string"]},
    "float": {"type": ["number", "string"]},
    "bool": {"type": ["boolean", "string"]},
    "list": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "null"}]},
}


def settings_body_schema() -> dict:
    """The body of PUT /config, from the one settings table (the table also validates it)."""
    return {"type": "object", "additionalProperties": False, "properties": {
        s.name: {**_TYPE_SCHEMA[s.type], "description": s.help, **({"writeOnly": True} if s.secret else {})}
        for s in SETTINGS if s.stored}}


@bp.route("/config", methods=["PUT", "PATCH"])
@declare("Save settings (all or nothing; per-field errors)", body=RawBody(settings_body_schema),
         responses={200: ConfigOut, 422: None}, tags=("settings",))
def put_config(body: dict):
    runtime = current_app.extensions["plexbooks"]
    config = runtime.save_settings(body)
    return jsonify({"settings": config.public()})
