"""Who is calling, and may they: one check in front of every /api/v1 route.

Credentials, in this order:

- ``X-Api-Key``: the admin key of the request manager. Admin; no CSRF token needed.
- the session cookie (``plexbooks_session``): a signed-in user, with their role. A call
  that changes anything (not GET/HEAD/OPTIONS) must echo the session's ``X-CSRF-Token``,
  else 403 ``csrf_failed``.

A blueprint opts in with :func:`require_api_key` (every route admin-only by default). A
route users may call too is marked :func:`allow_users`; one that needs no sign-in at all
(the sign-in endpoints themselves) is marked :func:`public`. Everything else answers 403
``forbidden`` to a user. Views read the caller with :func:`principal`.

Nothing here decrypts a stored secret: a cookie check reads only the sessions and users
tables, and the API key comes from the environment or is compared as a hash.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Callable, TypeVar

from flask import Blueprint, current_app, g, request

from plugin import accounts, state
from plugin.web.errors import ApiError

COOKIE = "plexbooks_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Principal:
    via: str                         # api_key, session
    role: str                        # admin, user
    user_id: str | None = None
    username: str | None = None
    kind: str | None = None          # plex, local (sessions)
    session_id: str | None = None
    csrf_token: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def allow_users(view: F) -> F:
    """Signed-in users (not only admins) may call this route."""
    view._plexbooks_access = "user"  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """No credential needed (sign-in endpoints). A session, when present, is still resolved."""
    view._plexbooks_access = "public"  # type: ignore[attr-defined]
    return view


def access_of(view: Callable | None) -> str:
    """``admin``, ``user`` or ``public``: who may call a view."""
    return getattr(view, "_plexbooks_access", "admin")


def principal() -> Principal | None:
    return g.get("plexbooks_principal")


def current_principal() -> Principal:
    found = principal()
    if found is None:
        raise ApiError(401, "unauthorized", "sign in, or send the admin API key in the X-Api-Key header")
    return found


def _resolve() -> Principal | None:
    runtime = current_app.extensions["plexbooks"]
    key = request.headers.get("X-Api-Key")
    if key is not None:
        if not state.check_api_key(runtime, key):
            raise ApiError(401, "unauthorized", "a valid admin API key is required in the X-Api-Key header")
        return Principal(via="api_key", role="admin")
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        return None
    session = accounts.session_for(runtime, cookie)
    if session is None:
        g.plexbooks_clear_cookie = True
        return None
    return Principal(via="session", role=session.role, user_id=session.user_id, username=session.username,
                     kind=session.kind, session_id=session.session_id, csrf_token=session.csrf_token)


def authorize() -> None:
    """The check itself (a before_request of every protected blueprint)."""
    view = current_app.view_functions.get(request.endpoint or "")
    access = access_of(view)
    found = _resolve()
    g.plexbooks_principal = found
    if found is None:
        if access == "public":
            return
        raise ApiError(401, "unauthorized", "sign in, or send the admin API key in the X-Api-Key header")
    if found.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        if not hmac.compare_digest(sent.encode(), (found.csrf_token or "").encode()):
            raise ApiError(403, "csrf_failed", f"send the {CSRF_HEADER} header you were given at sign-in")
    if access == "admin" and not found.is_admin:
        raise ApiError(403, "forbidden", "this needs an admin")


def require_api_key(bp: Blueprint) -> None:
    """Protect every route of a blueprint (admin-only unless a route says otherwise)."""
    bp.before_request(authorize)
