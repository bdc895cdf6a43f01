"""First-run API: where setup stands, the first admin (with the setup code), test and save the
Plex connection. The work is in :mod:`plugin.setup`; this only speaks HTTP."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, current_app, jsonify
from pydantic import Field
from typing_extensions import Annotated

from plugin import accounts, setup, state
from plugin.settings import BY_NAME
from plugin.signin import SignedIn
from plugin.web.api_auth import _address, _signed_in
from plugin.web.auth import public, require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import Out
from plugin.web.spec import Body, SafeText, declare

bp = Blueprint("api_setup", __name__, url_prefix="/api/v1/setup")
require_api_key(bp)


class FirstAdmin(Body):
    setup_code: Annotated[SafeText, Field(max_length=64)]
    username: Annotated[SafeText, Field(max_length=255)]
    password: Annotated[SafeText, Field(max_length=1024)]


class Connection(Body):
    plex_url: Annotated[SafeText, Field(max_length=2048, description="http:// or https:// URL of the server")]
    plex_token: Optional[Annotated[SafeText, Field(max_length=512)]] = Field(
        None, description="Omit to use the token already stored.")
    plex_verify_tls: bool = True
    server: Optional[Annotated[SafeText, Field(max_length=128)]] = Field(
        None, description="A machineIdentifier from /setup/plex/pins/{id}/servers: use that server's token.")


class SaveConnection(Connection):
    plex_library: Annotated[list[Annotated[SafeText, Field(max_length=64)]], Field(min_length=1, max_length=20)]


class SetupState(Out):
    needs_admin: bool
    plex_configured: bool
    library_configured: bool
    machine_identifier: Optional[str] = None


class Library(Out):
    key: str
    title: str
    count: int


class TestAnswer(Out):
    server: dict
    libraries: list[Library]


class SignInAnswer(Out):
    user: dict
    csrf_token: str


def _runtime():
    return current_app.extensions["plexbooks"]


def _url(raw: str) -> str:
    try:
        return BY_NAME["plex_url"].coerce(raw)
    except Exception as exc:  # SettingError: the settings table's own message
        fields = getattr(exc, "fields", {"plex_url": "expected an http:// or https:// URL"})
        raise ApiError(422, "invalid_fields", "some fields are not valid", fields) from None


def _setup_error(exc: setup.SetupError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.fields)


def _token(body: Connection) -> str | None:
    return setup.server_token(_runtime(), body.server) if body.server else body.plex_token


class OwnerPin(Out):
    id: int
    code: str
    auth_url: str
    expires_at: str


class FoundServer(Out):
    machine_identifier: str
    name: str
    url: Optional[str] = None
    connections: list[dict]


class FoundServers(Out):
    status: Literal["waiting", "done"]
    servers: list[FoundServer] = []


@bp.get("", endpoint="state")
@public
@declare("Where first-run setup stands", auth="none", responses={200: SetupState}, tags=("setup",))
def setup_state():
    runtime = _runtime()
    config = runtime.config(with_secrets=False)
    configured = bool(config.plex_url) and (config.sources.get("plex_token") != "default")
    return jsonify({"needs_admin": not setup.admin_exists(runtime), "plex_configured": configured,
                    "library_configured": bool(config.plex_library),
                    "machine_identifier": state.machine_identifier(runtime)})


@bp.post("/admin")
@public
@declare("Create the first local admin with the setup code from the log, and sign in", auth="none",
         body=FirstAdmin, responses={200: SignInAnswer, 403: None, 409: None, 422: None}, tags=("setup",))
def first_admin(body: FirstAdmin):
    runtime = _runtime()
    try:
        user = setup.create_first_admin(runtime, body.setup_code, body.username, body.password)
    except setup.SetupError as exc:
        raise _setup_error(exc) from None
    cookie, csrf = accounts.start_session(runtime, user.id, _address())
    return _signed_in(SignedIn(user, cookie, csrf))


@bp.post("/test")
@declare("Test a Plex URL and token: server name, version, platform and its music libraries with counts",
         body=Connection, responses={200: TestAnswer, 422: None}, tags=("setup",))
def test(body: Connection):
    try:
        result = setup.test_connection(_runtime(), _url(body.plex_url), _token(body), body.plex_verify_tls)
    except setup.SetupError as exc:
        raise _setup_error(exc) from None
    return jsonify({"server": result.server, "libraries": result.libraries})


@bp.post("/save")
@declare("Test again, then save the connection and the audiobook library", body=SaveConnection,
         responses={200: TestAnswer, 422: None}, tags=("setup",))
def save(body: SaveConnection):
    try:
        result = setup.save_connection(_runtime(), _url(body.plex_url), _token(body), list(body.plex_library),
                                       body.plex_verify_tls)
    except setup.SetupError as exc:
        raise _setup_error(exc) from None
    return jsonify({"server": result.server, "libraries": result.libraries})


@bp.post("/plex/pins")
@declare("Sign in with Plex as the server owner to list your servers", responses={201: OwnerPin, 502: None, 503: None},
         tags=("setup",))
def owner_pin():
    try:
        return jsonify(setup.start_owner_pin(_runtime())), 201
    except setup.SetupError as exc:
        raise _setup_error(exc) from None


@bp.post("/plex/pins/<int:pin_id>/servers")
@declare("Once the PIN is approved: the account's own servers, each with its connections tried",
         responses={200: FoundServers, 202: FoundServers, 410: None, 502: None, 503: None}, tags=("setup",))
def owner_servers(pin_id: int):
    try:
        found = setup.owner_servers(_runtime(), pin_id)
    except setup.SetupError as exc:
        raise _setup_error(exc) from None
    if found is None:
        return jsonify({"status": "waiting", "servers": []}), 202
    return jsonify({"status": "done", "servers": found})
