"""Accounts: users, local admins' passwords, server-side sessions and login throttling.

A session is a random cookie value; the database keeps only its SHA-256, with the CSRF
token the browser must echo on every unsafe request. Signing out, disabling a user or
losing access to the server deletes the rows, so the cookie stops working at once.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile);
failed password sign-ins are counted per account and per address in the database, so
every web worker process sees the same count.
"""
from __future__ import annotations

import hashlib
import logging
import functools
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, overload

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from plugin.models import AuthSession, LoginFailure, User, utcnow
from plugin.runtime import Runtime
from plugin.redaction import REDACTOR

log = logging.getLogger(__name__)

ROLES = ("admin", "user")
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
_HASHER = PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when no such user exists, so a wrong username costs as long as a wrong password.
    Made on first use: hashing at import would cost every plexbooks process 0.3 s of CPU."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many failed sign-ins")
        self.retry_after = retry_after


class InvalidCredentials(Exception):
    pass


@dataclass(frozen=True)
class SessionInfo:
    """The signed-in user behind a cookie."""

    session_id: str
    csrf_token: str
    user_id: str
    username: str
    kind: str
    role: str


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def user_dict(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "kind": user.kind, "role": user.role,
            "email": user.email, "disabled": user.disabled, "plex_id": user.plex_id,
            "created_at": _iso(user.created_at), "last_seen_at": _iso(user.last_seen_at),
            "access_checked_at": _iso(user.access_checked_at), "access_check": user.access_check}


def _iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- passwords and local admins -------------------------------------------------------------
def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def validate_password(password: Any) -> str | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > 1024:
        return "at most 1024 characters"
    return None


def validate_username(username: Any) -> str | None:
    if not isinstance(username, str) or not username.strip():
        return "required"
    if len(username) > 255:
        return "at most 255 characters"
    return None


def upsert_local_admin(runtime: Runtime, username: str, password: str) -> tuple[User, bool]:
    """Create the local admin, or set the password of an existing one. Returns (user, created)."""
    problem = validate_username(username) or validate_password(password)
    if problem:
        raise ValueError(problem)
    REDACTOR.add(password)
    username = username.strip()
    password_hash = hash_password(password)
    for attempt in range(2):        # two processes creating the same admin at once: the second updates
        try:
            with runtime.session() as s:
                user = s.scalars(select(User).where(User.username == username)).first()
                if user is not None and user.kind != "local":
                    raise ValueError(f"{username!r} is a Plex account, not a local admin")
                created = user is None
                if created:
                    user = User(id=f"local-{uuid.uuid4().hex[:12]}", kind="local", username=username,
                                role="admin", role_locked=True, disabled=False, created_at=utcnow())
                    s.add(user)
                user.password_hash = password_hash
                user.disabled = False
                s.flush()
                s.expunge(user)
            break
        except IntegrityError:
            if attempt:
                raise
    if not created:
        end_sessions(runtime, user.id)   # a new password signs the old sessions out
    return user, created


def ensure_env_admin(runtime: Runtime) -> None:
    """``PLEXBOOKS_ADMIN_USERNAME`` / ``PLEXBOOKS_ADMIN_PASSWORD`` create or update one admin at start."""
    config = runtime.config(with_secrets=False)
    if not config.admin_username or not config.admin_password:
        return
    with runtime.session() as s:
        user = s.scalars(select(User).where(User.username == config.admin_username.strip())).first()
        if user is not None and user.password_hash:
            try:
                _HASHER.verify(user.password_hash, config.admin_password)
                return                       # already what the environment says
            except (VerificationError, InvalidHashError):
                pass
    try:
        _, created = upsert_local_admin(runtime, config.admin_username, config.admin_password)
    except ValueError as exc:
        log.error("PLEXBOOKS_ADMIN_USERNAME/PASSWORD: %s", exc)
        return
    log.info("local admin %s %s from the environment", config.admin_username, "created" if created else "updated")


def _failures(s, key: str, since: datetime) -> int:
    return s.scalar(select(func.count()).select_from(LoginFailure)
                    .where(LoginFailure.key == key, LoginFailure.failed_at >= since)) or 0


def check_password_login(runtime: Runtime, username: str, password: str, address: str | None) -> User:
    """The local admin for these credentials. Raises TooManyAttempts before checking anything
    once an account or address has failed too often, InvalidCredentials otherwise."""
    now = utcnow()
    since = now - FAILURE_WINDOW
    keys = {"account": f"account:{username.strip().lower()[:255]}", "address": f"address:{address or '?'}"}
    with runtime.session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.failed_at < since))
        if (_failures(s, keys["account"], since) >= MAX_FAILURES_PER_ACCOUNT
                or _failures(s, keys["address"], since) >= MAX_FAILURES_PER_ADDRESS):
            raise TooManyAttempts(int(FAILURE_WINDOW.total_seconds()))
        user = s.scalars(select(User).where(User.username == username.strip(), User.kind == "local")).first()
        ok = False
        try:
            ok = _HASHER.verify(user.password_hash if user and user.password_hash else _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if ok and user is not None and not user.disabled:
            s.execute(delete(LoginFailure).where(LoginFailure.key == keys["account"]))
            if _HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            s.expunge(user)
            return user
    with runtime.session() as s:     # its own transaction: the failure is counted whatever follows
        s.add_all([LoginFailure(key=keys["account"], failed_at=now), LoginFailure(key=keys["address"],
                                                                               failed_at=now)])
    raise InvalidCredentials()


# -- sessions ---------------------------------------------------------------------------------
def start_session(runtime: Runtime, user_id: str, address: str | None) -> tuple[str, str]:
    """A new session for the user: returns (cookie value, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = utcnow()
    hours = runtime.config(with_secrets=False).session_hours
    with runtime.session() as s:
        s.add(AuthSession(id=_digest(token), user_id=user_id, csrf_token=csrf, created_at=now, last_seen_at=now,
                          expires_at=now + timedelta(hours=hours), address=(address or "")[:64] or None))
        user = s.get(User, user_id)
        if user is not None:
            user.last_seen_at = now
    return token, csrf


def session_for(runtime: Runtime, token: str | None) -> SessionInfo | None:
    """The live session of a cookie value, or None (unknown, expired, or the user is disabled)."""
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    now = utcnow()
    with runtime.session() as s:
        row = s.get(AuthSession, digest)
        if row is None:
            return None
        user = s.get(User, row.user_id)
        if aware(row.expires_at) <= now or user is None or user.disabled:
            s.delete(row)
            return None
        if now - aware(row.last_seen_at) > timedelta(minutes=5):     # sliding expiry, written at most every 5 min
            hours = runtime.config(with_secrets=False).session_hours
            row.last_seen_at, row.expires_at = now, now + timedelta(hours=hours)
            user.last_seen_at = now
        return SessionInfo(row.id, row.csrf_token, user.id, user.username, user.kind, user.role)


def end_session(runtime: Runtime, session_id: str) -> None:
    with runtime.session() as s:
        s.execute(delete(AuthSession).where(AuthSession.id == session_id))


def end_sessions(runtime: Runtime, user_id: str) -> int:
    with runtime.session() as s:
        return s.execute(delete(AuthSession).where(AuthSession.user_id == user_id)).rowcount or 0


def session_count(runtime: Runtime, user_id: str) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user_id)) or 0


# -- users ------------------------------------------------------------------------------------
def get_user(runtime: Runtime, user_id: str) -> User | None:
    with runtime.session() as s:
        user = s.get(User, user_id)
        if user is not None:
            s.expunge(user)
        return user


def update_user(runtime: Runtime, user_id: str, *, role: str | None = None,
                disabled: bool | None = None) -> User | None:
    with runtime.session() as s:
        user = s.get(User, user_id)
        if user is None:
            return None
        if role is not None:
            user.role, user.role_locked = role, True
        if disabled is not None:
            user.disabled = disabled
        s.flush()
        s.expunge(user)
    if disabled:
        end_sessions(runtime, user_id)
    return user


def delete_user(runtime: Runtime, user_id: str) -> bool:
    """Delete the account and its sessions; its requests stay (they name the user id)."""
    with runtime.session() as s:
        s.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
        return (s.execute(delete(User).where(User.id == user_id)).rowcount or 0) > 0
