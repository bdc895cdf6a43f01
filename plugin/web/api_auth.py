"""Sign-in endpoints (Plex PIN flow, local admin login, logout) and the signed-in user's own views."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from plugin import accounts, signin
from plugin.plextv import PlexTVError
from plugin.user_ratings import ratings
from plugin.web.auth import COOKIE, allow_users, current_principal, principal, public, require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import LoginBody, MeOut, PinOut, PinRequest, RatingsPage, SignedInOut, Waiting
from plugin.web.spec import declare
from plugin.web.validation import json_body, listing

bp = Blueprint("api_auth", __name__, url_prefix="/api/v1")
require_api_key(bp)


def _runtime():
    return current_app.extensions["plexbooks"]


def _address() -> str | None:
    return request.remote_addr


def _base_url() -> str:
    config = _runtime().config(with_secrets=False)
    return (config.public_url or request.url_root).rstrip("/")   # url_root carries the path prefix


def set_session_cookie(response: BaseResponse, cookie: str) -> None:
    config = _runtime().config(with_secrets=False)
    secure = bool(config.public_url and config.public_url.startswith("https://"))
    response.set_cookie(COOKIE, cookie, max_age=int(config.session_hours * 3600), httponly=True, samesite="Lax",
                        secure=secure, path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax")


def _signed_in(result: signin.SignedIn) -> Response:
    response = jsonify({"user": me_dict(result.user), "csrf_token": result.csrf_token})
    set_session_cookie(response, result.cookie)
    return response


def me_dict(user) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "kind": user.kind, "role": user.role}


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    return value


# -- Plex PIN flow ---------------------------------------------------------------------------------
@bp.post("/auth/plex/pins")
@public
@declare("Start a Plex sign-in: a PIN and the Plex page to send the browser to", body=PinRequest, validate=False,
         responses={201: PinOut, 422: None, 502: None, 503: None}, tags=("auth",))
def create_pin():
    body = json_body() if request.content_length else {}
    unknown = {k: "unknown field" for k in body if k != "next"}
    if unknown:
        raise ApiError(422, "invalid_fields", "some fields are not valid", unknown)
    if body.get("next") is not None and not isinstance(body["next"], str):
        raise ApiError(422, "invalid_fields", "next must be a path", {"next": "a path on this site, e.g. /"})

    # the forward URL names the PIN, which only exists once plex.tv made it
    def forward(pin_id: int) -> str:
        return (f"{_base_url()}/api/v1/auth/plex/pins/{pin_id}/forward"
                f"?next={quote(_safe_next(body.get('next')), safe='/')}")

    try:
        created = signin.create_pin(_runtime(), forward)
    except signin.SignInError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return jsonify(created), 201


def _claim(pin_id: int) -> signin.SignedIn | None:
    try:
        return signin.claim_pin(_runtime(), pin_id, _address())
    except signin.PinWaiting:
        return None
    except signin.SignInError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None


@bp.post("/auth/plex/pins/<int:pin_id>/claim")
@public
@declare("Finish the Plex sign-in once the PIN is approved", validate=False, tags=("auth",),
         responses={200: SignedInOut, 202: Waiting, 403: None, 404: None, 410: None, 502: None, 503: None})
def claim_pin(pin_id: int):
    result = _claim(pin_id)
    if result is None:
        return jsonify({"status": "waiting"}), 202
    return _signed_in(result)


@bp.get("/auth/plex/pins/<int:pin_id>/forward")
@public
@declare("Where the Plex sign-in page sends the browser back", validate=False, tags=("auth",),
         responses={303: None})
def forward(pin_id: int):
    """Where the Plex sign-in page sends the browser back: the same claim, then home."""
    target = _safe_next(request.args.get("next"))
    try:
        result = _claim(pin_id)
    except ApiError as exc:
        sep = "&" if "?" in target else "?"
        return redirect(f"{target}{sep}sign_in_error={exc.code}", 303)
    if result is None:
        sep = "&" if "?" in target else "?"
        return redirect(f"{target}{sep}sign_in_pending={pin_id}", 303)
    response = redirect(target, 303)
    set_session_cookie(response, result.cookie)
    return response


# -- local admins --------------------------------------------------------------------------------
@bp.post("/auth/login")
@public
@declare("Local admin sign-in", body=LoginBody, validate=False, tags=("auth",),
         responses={200: SignedInOut, 401: None, 422: None, 429: None})
def login():
    body = json_body()
    errors = {k: "unknown field" for k in body if k not in ("username", "password")}
    for name in ("username", "password"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            errors[name] = "required"
        elif len(value) > 1024:
            errors[name] = "at most 1024 characters"
    if errors:
        raise ApiError(422, "invalid_fields", "some fields are not valid", errors)
    runtime = _runtime()
    try:
        user = accounts.check_password_login(runtime, body["username"], body["password"], _address())
    except accounts.TooManyAttempts as exc:
        raise ApiError(429, "too_many_attempts", "too many failed sign-ins; wait and try again",
                       retry_after=exc.retry_after) from None
    except accounts.InvalidCredentials:
        raise ApiError(401, "invalid_credentials", "wrong username or password") from None
    cookie, csrf = accounts.start_session(runtime, user.id, _address())
    return _signed_in(signin.SignedIn(user, cookie, csrf))


@bp.post("/auth/logout")
@public
@declare("Sign out: the session ends at once", validate=False, responses={204: None}, tags=("auth",))
def logout():
    found = principal()
    if found is not None and found.session_id:
        accounts.end_session(_runtime(), found.session_id)
    response = Response(status=204)
    clear_session_cookie(response)
    return response


# -- the signed-in user ----------------------------------------------------------------------------
@bp.get("/me")
@allow_users
@declare("The signed-in user", validate=False, responses={200: MeOut}, tags=("auth",))
def me():
    found = current_principal()
    if found.via == "api_key":
        return jsonify({"id": None, "username": None, "kind": "api_key", "role": "admin"})
    return jsonify({"id": found.user_id, "username": found.username, "kind": found.kind, "role": found.role,
                    "csrf_token": found.csrf_token})


@bp.get("/me/ratings")
@allow_users
@declare("The signed-in user's own Plex ratings", validate=False, responses={200: RatingsPage}, tags=("auth",))
def my_ratings():
    found = current_principal()
    runtime = _runtime()
    user = accounts.get_user(runtime, found.user_id) if found.user_id else None   # None: the API key
    try:
        items = ratings(runtime, user)
    except signin.SignInError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    except PlexTVError as exc:
        if exc.code == "plextv_unauthorized":
            raise ApiError(401, "unauthorized", "your Plex sign-in was revoked; sign in again") from None
        raise ApiError(503 if exc.retryable else 502, exc.code, str(exc)) from None
    return jsonify(listing(items, len(items), len(items), 0))


def init_app(app) -> None:
    @app.after_request
    def _drop_stale_cookie(response: Response) -> Response:
        if g.get("plexbooks_clear_cookie") and COOKIE not in str(response.headers.get_all("Set-Cookie")):
            clear_session_cookie(response)
        return response
