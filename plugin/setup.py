"""First run: the one-time setup code, testing a Plex connection, saving it.

Until an admin exists, claiming the installation needs the setup code printed in the log at
first start (kept encrypted in the database, so every start prints the same one until it is
used), so nobody else on the network can take over the server. Testing a connection never
saves anything; saving tests again, so a connection that does not work is never stored.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from plugin import accounts, state
from plugin.models import User
from plugin.plex import PlexClient, PlexError, PlexNotFound, PlexTLSError, PlexUnauthorized, PlexUnreachable
from plugin.runtime import Runtime

log = logging.getLogger(__name__)
STATE_SETUP_CODE = "state.setup_code"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"      # no 0/O, 1/I


class SetupError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def admin_exists(runtime: Runtime) -> bool:
    with runtime.session() as s:
        return bool(s.scalar(select(func.count()).select_from(User).where(User.role == "admin",
                                                                           User.disabled.is_(False))))


def ensure_setup_code(runtime: Runtime) -> str | None:
    """The setup code while no admin exists (generated once, first writer wins), else None."""
    if admin_exists(runtime):
        return None
    stored = state.get(runtime, STATE_SETUP_CODE)
    if stored is None:
        code = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
        stored = state.put(runtime, STATE_SETUP_CODE, runtime.vault.encrypt(code), only_if_absent=True)
        if stored is None:  # removed again at once: an admin was just created
            return None
    code, _legacy = runtime.vault.decrypt(stored)
    return code


def announce(runtime: Runtime) -> None:
    """Print the setup code in the log (at start, while nobody has claimed the installation)."""
    code = ensure_setup_code(runtime)
    if code:
        log.warning("First run: open the web page and enter the setup code %s to create the admin", code)


def create_first_admin(runtime: Runtime, setup_code: str, username: str, password: str) -> User:
    """The first local admin, for whoever holds the setup code."""
    if admin_exists(runtime):
        raise SetupError(409, "already_set_up", "an admin exists already; sign in instead")
    expected = ensure_setup_code(runtime) or ""
    if not hmac.compare_digest(setup_code.strip().upper().encode(), expected.encode()):
        raise SetupError(403, "invalid_setup_code", "that is not the setup code from the log",
                         {"setup_code": "not the code printed in the log"})
    fields = {}
    if problem := accounts.validate_username(username):
        fields["username"] = problem
    if problem := accounts.validate_password(password):
        fields["password"] = problem
    if fields:
        raise SetupError(422, "invalid_fields", "some fields are not valid", fields)
    user, _created = accounts.upsert_local_admin(runtime, username, password)
    state.put(runtime, STATE_SETUP_CODE, None)
    log.info("first admin %s created with the setup code", user.username)
    return user


@dataclass
class TestResult:
    server: dict[str, Any]
    libraries: list[dict[str, Any]]


def _client(runtime: Runtime, url: str, token: str, verify_tls: bool) -> PlexClient:
    config = runtime.config(with_secrets=False)
    return PlexClient(url, token, client_identifier=runtime.client_identifier,
                      timeout=min(config.plex_timeout, 10.0), verify_tls=verify_tls)


def test_connection(runtime: Runtime, url: str, token: str | None, verify_tls: bool = True) -> TestResult:
    """Ask the server who it is and which music libraries it has (with their album counts).

    ``token`` None means the one already stored. Errors name the field they concern.
    """
    if token is None:
        token = runtime.config().plex_token
        if not token:
            raise SetupError(422, "invalid_fields", "enter the Plex token", {"plex_token": "required"})
    client = _client(runtime, url, token, verify_tls)
    try:
        info = client.server_info()
        sections = client.sections()
        libraries = []
        for section in sections:
            if not section.is_music:
                continue
            libraries.append({**section.as_dict(), "count": client.album_count(section.key)})
    except PlexUnauthorized:
        raise SetupError(422, "plex_unauthorized", "Plex refused the token",
                         {"plex_token": "Plex refused this token: copy it again from Plex"}) from None
    except PlexTLSError as exc:
        raise SetupError(422, "plex_tls_error", "TLS failed",
                         {"plex_url": f"TLS failed ({exc}); use http:// or turn TLS verification off"}) from None
    except PlexUnreachable:
        raise SetupError(422, "plex_unreachable", "Plex does not answer",
                         {"plex_url": "no Plex server answers at this URL: check the address and port"}) from None
    except (PlexNotFound, PlexError):
        raise SetupError(422, "plex_bad_response", "not a Plex server",
                         {"plex_url": "something answers at this URL, but it is not a Plex server"}) from None
    return TestResult(server=info.as_dict(), libraries=libraries)


def save_connection(runtime: Runtime, url: str, token: str | None, libraries: list[str],
                    verify_tls: bool = True) -> TestResult:
    """Test again, then store URL, token, library choice and the server's machineIdentifier."""
    result = test_connection(runtime, url, token, verify_tls)
    music = {lib["key"] for lib in result.libraries}
    unknown = [key for key in libraries if key not in music]
    if not libraries or unknown:
        raise SetupError(422, "invalid_fields", "pick the audiobook library",
                         {"plex_library": "pick one of this server's music libraries"})
    values: dict[str, Any] = {"plex_url": url, "plex_library": libraries, "plex_verify_tls": verify_tls}
    if token is not None:
        values["plex_token"] = token
    runtime.save_settings(values)
    state.remember_machine_identifier(runtime, result.server["machine_identifier"])
    return result


# -- the owner's own servers, from plex.tv ---------------------------------------------------
STATE_SERVERS = "state.setup_servers"


def start_owner_pin(runtime: Runtime) -> dict[str, Any]:
    """A plex.tv PIN for the owner to approve; no server is configured yet, so no access check."""
    from plugin.plextv import PlexTVError, auth_url
    from plugin.signin import _unavailable, plextv
    config = runtime.config(with_secrets=False)
    try:
        pin = plextv(runtime).create_pin(strong=True)
    except PlexTVError as exc:
        error = _unavailable(exc)
        raise SetupError(error.status, error.code, error.message) from None
    return {"id": pin.id, "code": pin.code, "expires_at": pin.expires_at.isoformat(),
            "auth_url": auth_url(config.plex_auth_url, runtime.client_identifier, pin.code, None)}


def _try_connections(runtime: Runtime, uris: tuple[str, ...], token: str) -> tuple[str | None, list[dict]]:
    """Each connection in plex.tv's order; the first that answers as this server wins."""
    tried = []
    for uri in uris[:6]:
        client = PlexClient(uri, token, client_identifier=runtime.client_identifier, timeout=3.0)
        try:
            client.server_info()
        except PlexError as exc:
            tried.append({"uri": uri, "ok": False, "error": exc.code})
            continue
        tried.append({"uri": uri, "ok": True})
        return uri, tried
    return None, tried


def owner_servers(runtime: Runtime, pin_id: int) -> list[dict[str, Any]] | None:
    """The servers the approving account owns, each with its connections tried; None while waiting.

    The server tokens stay here (encrypted in the database) for :func:`test_connection` with
    ``server=``; the browser only sees names, URLs and what was tried.
    """
    import json

    from plugin.plextv import PlexTVError, PlexTVNotFound
    from plugin.signin import _unavailable, plextv
    client = plextv(runtime)
    try:
        pin = client.check_pin(pin_id)
        if not pin.auth_token:
            return None
        resources = client.resources(pin.auth_token)
    except PlexTVNotFound:
        raise SetupError(410, "pin_expired", "this PIN has expired; start again") from None
    except PlexTVError as exc:
        error = _unavailable(exc)
        raise SetupError(error.status, error.code, error.message) from None
    found, keep = [], {}
    for resource in resources:
        if not (resource.is_server and resource.owned and resource.access_token):
            continue
        url, tried = _try_connections(runtime, resource.connections, resource.access_token)
        found.append({"machine_identifier": resource.client_identifier, "name": resource.name, "url": url,
                      "connections": tried})
        keep[resource.client_identifier] = resource.access_token
    state.put(runtime, STATE_SERVERS, runtime.vault.encrypt(json.dumps(keep)))
    return found


def server_token(runtime: Runtime, machine_identifier: str) -> str:
    import json
    stored = state.get(runtime, STATE_SERVERS)
    tokens = json.loads(runtime.vault.decrypt(stored)[0]) if stored else {}
    token = tokens.get(machine_identifier)
    if not token:
        raise SetupError(422, "invalid_fields", "pick one of your servers again",
                         {"server": "not one of the servers found with your Plex account"})
    return token
