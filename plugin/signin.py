"""Sign in with Plex, the access re-check, and a user's own view of the server.

The PIN flow: plexbooks asks plex.tv for a strong PIN, sends the browser to the Plex
sign-in page, and polls the PIN until plex.tv hands over the account's token. Then it
reads the account, then the account's resources, and lets the account in only when the
stored machineIdentifier is among them. The owner of that server is an admin; anyone
else it is shared with is a user. Nothing here reads the system Plex token: a user's
operations go to Plex with the server access token plex.tv gave *that user*.

The worker re-checks every ``access_recheck_hours`` with each user's own plex.tv token:
access removed or token revoked ends the user's sessions (their requests stay); plex.tv
unreachable changes nothing until it answers again.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from plugin import accounts, jobs, state
from plugin.models import AuthPin, User, utcnow
from plugin.plex import PlexClient, PlexUnauthorized
from plugin.plextv import PlexTV, PlexTVError, PlexTVNotFound, PlexTVUnauthorized, auth_url
from plugin.runtime import NotConfigured, Runtime
from plugin.redaction import REDACTOR

log = logging.getLogger(__name__)
ACCESS_RECHECK = jobs.ACCESS_RECHECK
STATE_PLEXTV = "state.plextv_status"


class SignInError(Exception):
    """A sign-in that cannot go on; ``status`` and ``code`` are the API's answer."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class PinWaiting(Exception):
    """plex.tv has not been told yet that the user approved the PIN."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    cookie: str
    csrf_token: str


def plextv(runtime: Runtime) -> PlexTV:
    config = runtime.config(with_secrets=False)
    return PlexTV(config.plextv_url, runtime.client_identifier, timeout=config.plex_timeout)


def _machine_identifier(runtime: Runtime) -> str:
    machine_identifier = state.machine_identifier(runtime)
    if not machine_identifier:
        raise NotConfigured({"machine_identifier": "connect plexbooks to the Plex server first"})
    return machine_identifier


def _unavailable(exc: PlexTVError) -> SignInError:
    if exc.retryable:
        return SignInError(503, "plextv_unreachable", f"plex.tv cannot be reached; try again ({exc})")
    return SignInError(502, exc.code, str(exc))


# -- the PIN flow -------------------------------------------------------------------------------
def create_pin(runtime: Runtime, forward_url: Callable[[int], str] | None = None) -> dict[str, Any]:
    """A strong PIN from plex.tv and the sign-in page URL for it; ``forward_url(pin_id)`` is where
    the page sends the browser back."""
    config = runtime.config(with_secrets=False)
    _machine_identifier(runtime)
    try:
        pin = plextv(runtime).create_pin(strong=True)
    except PlexTVError as exc:
        raise _unavailable(exc) from None
    with runtime.session() as s:
        s.merge(AuthPin(id=pin.id, code=pin.code, created_at=utcnow(), expires_at=pin.expires_at))
    return {"id": pin.id, "code": pin.code, "expires_at": pin.expires_at.isoformat(),
            "auth_url": auth_url(config.plex_auth_url, runtime.client_identifier, pin.code,
                                 forward_url(pin.id) if forward_url else None)}


def claim_pin(runtime: Runtime, pin_id: int, address: str | None) -> SignedIn:
    """Finish the PIN flow. Raises PinWaiting until the PIN is approved, SignInError otherwise."""
    machine_identifier = _machine_identifier(runtime)
    with runtime.session() as s:
        row = s.get(AuthPin, pin_id)
        if row is None:
            raise SignInError(404, "not_found", f"no sign-in PIN {pin_id}")
        if row.used_at is not None:
            raise SignInError(410, "pin_expired", "this PIN has been used already; start a new sign-in")
        if accounts.aware(row.expires_at) <= utcnow():
            raise SignInError(410, "pin_expired", "this PIN has expired; start a new sign-in")
    client = plextv(runtime)
    try:
        pin = client.check_pin(pin_id)
    except PlexTVNotFound:
        raise SignInError(410, "pin_expired", "this PIN has expired; start a new sign-in") from None
    except PlexTVError as exc:
        raise _unavailable(exc) from None
    if not pin.auth_token:
        raise PinWaiting()
    # one use: a conditional update, so of two claims at once only one signs in
    with runtime.session() as s:
        taken = s.execute(update(AuthPin).where(AuthPin.id == pin_id, AuthPin.used_at.is_(None))
                          .values(used_at=utcnow())).rowcount
    if taken != 1:
        raise SignInError(410, "pin_expired", "this PIN has been used already; start a new sign-in")
    try:
        account = client.account(pin.auth_token)
        server = client.server(pin.auth_token, machine_identifier)
    except PlexTVError as exc:
        with runtime.session() as s:          # plex.tv failed mid-way: the PIN may be tried again
            row = s.get(AuthPin, pin_id)
            if row is not None:
                row.used_at = None
        raise _unavailable(exc) from None
    if server is None:
        raise SignInError(403, "no_server_access", "this Plex account has no access to this Plex server")
    user = _store_plex_user(runtime, account, pin.auth_token, server.access_token, server.owned,
                            machine_identifier)
    if user.disabled:
        raise SignInError(403, "forbidden", "this account has been disabled by the admin")
    cookie, csrf = accounts.start_session(runtime, user.id, address)
    log.info("%s signed in with Plex as %s", user.username, user.role)
    return SignedIn(user, cookie, csrf)


def _store_plex_user(runtime: Runtime, account, plextv_token: str, server_token: str | None, owned: bool,
                     machine_identifier: str) -> User:
    REDACTOR.add(plextv_token)
    REDACTOR.add(server_token)
    now = utcnow()
    for _ in range(2):       # two first sign-ins at once: the second finds the row
        try:
            with runtime.session() as s:
                user = s.scalars(select(User).where(User.plex_id == account.id)).first()
                if user is None:
                    user = User(id=f"plex-{account.id}", kind="plex", plex_id=account.id, created_at=now,
                                role="admin" if owned else "user", role_locked=False, disabled=False,
                                username=_free_username(s, account.username))
                    s.add(user)
                elif not user.role_locked:
                    user.role = "admin" if owned else "user"
                if owned:
                    user.role = "admin"      # the server owner is always an admin
                user.plex_uuid, user.email = account.uuid, account.email
                user.plextv_token = runtime.vault.encrypt(plextv_token)
                user.server_token = runtime.vault.encrypt(server_token) if server_token else None
                user.server_machine_identifier = machine_identifier
                user.access_checked_at, user.access_check = now, "ok"
                s.flush()
                s.expunge(user)
                return user
        except IntegrityError:
            continue
    raise SignInError(409, "conflict", "the account is being signed in elsewhere; try again")


def _free_username(s, wanted: str) -> str:
    name, n = wanted[:240], 1
    while s.scalars(select(User.id).where(User.username == name)).first() is not None:
        n += 1
        name = f"{wanted[:240]} ({n})"
    return name


# -- a user's own tokens ---------------------------------------------------------------------------
def _decrypt(runtime: Runtime, user: User, column: str) -> str | None:
    stored = getattr(user, column)
    if not stored:
        return None
    plain, legacy = runtime.vault.decrypt(stored)
    REDACTOR.add(plain)
    if legacy:
        with runtime.session() as s:
            row = s.get(User, user.id)
            if row is not None:
                setattr(row, column, runtime.vault.encrypt(plain))
    return plain


def refresh_server_token(runtime: Runtime, user: User) -> str | None:
    """Ask plex.tv (with the user's own token) for their access token to this server again."""
    plextv_token = _decrypt(runtime, user, "plextv_token")
    if not plextv_token:
        return None
    server = plextv(runtime).server(plextv_token, _machine_identifier(runtime))
    with runtime.session() as s:
        row = s.get(User, user.id)
        if row is not None:
            row.server_token = runtime.vault.encrypt(server.access_token) if server and server.access_token else None
    return server.access_token if server else None


def user_plex(runtime: Runtime, user: User, token: str) -> PlexClient:
    config = runtime.config(with_secrets=False)
    if not config.plex_url:
        raise NotConfigured({"plex_url": "not configured"})
    return PlexClient(config.plex_url, token, client_identifier=runtime.client_identifier,
                      timeout=config.plex_timeout, verify_tls=config.plex_verify_tls)


def with_server_token(runtime: Runtime, user: User, call):
    """Run ``call(client)`` against Plex with the user's own server token; on 401 get a fresh
    token from plex.tv once and try again."""
    token = _decrypt(runtime, user, "server_token")
    if token:
        try:
            return call(user_plex(runtime, user, token))
        except PlexUnauthorized:
            log.info("the server token of %s was refused; asking plex.tv for a new one", user.username)
    try:
        token = refresh_server_token(runtime, user)
    except PlexTVUnauthorized:
        _lost_access(runtime, user, "token_revoked")
        raise
    if not token:
        _lost_access(runtime, user, "no_access")
        raise SignInError(403, "no_server_access", "this Plex account no longer has access to this Plex server")
    return call(user_plex(runtime, user, token))


# -- the access re-check -------------------------------------------------------------------------
def _lost_access(runtime: Runtime, user: User, why: str) -> None:
    ended = accounts.end_sessions(runtime, user.id)
    with runtime.session() as s:
        row = s.get(User, user.id)
        if row is not None:
            row.access_checked_at, row.access_check = utcnow(), why
    log.warning("%s lost access to the server (%s); %s sessions ended", user.username, why, ended)


def recheck_access(runtime: Runtime) -> dict[str, Any]:
    """Every Plex user, with their own plex.tv token: still allowed on this server?"""
    machine_identifier = _machine_identifier(runtime)
    client = plextv(runtime)
    with runtime.session() as s:
        users = s.scalars(select(User).where(User.kind == "plex", User.disabled.is_(False))).all()
        for u in users:
            s.expunge(u)
    counts = {"checked": 0, "ok": 0, "no_access": 0, "token_revoked": 0, "unreachable": 0}
    unreachable_error = None
    for user in users:
        counts["checked"] += 1
        token = _decrypt(runtime, user, "plextv_token")
        try:
            server = client.server(token, machine_identifier) if token else None
        except PlexTVUnauthorized:
            _lost_access(runtime, user, "token_revoked")
            counts["token_revoked"] += 1
            continue
        except PlexTVError as exc:
            counts["unreachable"] += 1
            unreachable_error = str(exc)
            with runtime.session() as s:
                row = s.get(User, user.id)
                if row is not None:
                    row.access_check = "plextv_unreachable"   # sessions stay until plex.tv answers
            continue
        if server is None or not server.access_token:   # server() answers only servers with a token
            _lost_access(runtime, user, "no_access")
            counts["no_access"] += 1
            continue
        counts["ok"] += 1
        with runtime.session() as s:
            row = s.get(User, user.id)
            if row is not None:
                row.access_checked_at, row.access_check = utcnow(), "ok"
                row.server_token = runtime.vault.encrypt(server.access_token)
                if server.owned:
                    row.role = "admin"
                elif not row.role_locked:
                    row.role = "user"
    # plex.tv counts as unreachable when no user could be checked because of it
    status = {"reachable": not (counts["unreachable"] and counts["unreachable"] == counts["checked"]),
              "checked_at": utcnow().isoformat(), "error": unreachable_error}
    state.put(runtime, STATE_PLEXTV, json.dumps(status))
    if not status["reachable"]:
        raise jobs.JobFailed("plextv_unreachable", f"plex.tv could not be reached: {unreachable_error}",
                             {**counts, "sessions_kept": True})
    return counts


def access_recheck(runtime: Runtime, *, trigger: str = "manual", run_id: int | None = None) -> dict[str, Any]:
    """The scheduled job (``access_recheck``), recorded like the scans."""
    return jobs.run_job(runtime, ACCESS_RECHECK, recheck_access, trigger=trigger, run_id=run_id)


def plextv_status(runtime: Runtime) -> dict[str, Any] | None:
    raw = state.get(runtime, STATE_PLEXTV)
    return json.loads(raw) if raw else None

