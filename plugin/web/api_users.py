"""Users, for admins: list, read, change role or disable, delete; create a local admin."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select

from plugin import accounts
from plugin.models import User
from plugin.web.auth import current_principal, require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import NewLocalAdmin, UserChange, UserDeleted, UserOut, UsersPage, UsersQuery
from plugin.web.spec import declare
from plugin.web.validation import json_body, listing, page_args

bp = Blueprint("api_users", __name__, url_prefix="/api/v1")
require_api_key(bp)


def _runtime():
    return current_app.extensions["plexbooks"]


def _user_id(user_id: str) -> str:
    if len(user_id) > 64:
        raise ApiError(404, "not_found", "no such user")
    return user_id


@bp.get("/users")
@declare("Users with role, kind, last seen and access check", query=UsersQuery, validate=False,
         responses={200: UsersPage}, tags=("users",))
def list_users():
    limit, offset = page_args()
    with _runtime().session() as s:
        total = s.scalar(select(func.count()).select_from(User))
        rows = s.scalars(select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)).all()
        return jsonify(listing([accounts.user_dict(u) for u in rows], total, limit, offset))


@bp.post("/users")
@declare("Create a local admin", body=NewLocalAdmin, validate=False, responses={201: UserOut, 409: None, 422: None},
         tags=("users",))
def create_local_admin():
    body = json_body()
    errors = {k: "unknown field" for k in body if k not in ("username", "password")}
    problem = accounts.validate_username(body.get("username"))
    if problem:
        errors["username"] = problem
    problem = accounts.validate_password(body.get("password"))
    if problem:
        errors["password"] = problem
    if errors:
        raise ApiError(422, "invalid_fields", "some fields are not valid", errors)
    runtime = _runtime()
    with runtime.session() as s:
        if s.scalars(select(User.id).where(User.username == body["username"].strip())).first():
            raise ApiError(409, "conflict", "a user with that name exists", {"username": "taken"})
    user, _ = accounts.upsert_local_admin(runtime, body["username"], body["password"])
    return jsonify(accounts.user_dict(user)), 201


@bp.get("/users/<user_id>")
@declare("One user", validate=False, responses={200: UserOut, 404: None}, tags=("users",))
def get_user(user_id: str):
    user = accounts.get_user(_runtime(), _user_id(user_id))
    if user is None:
        raise ApiError(404, "not_found", "no such user")
    return jsonify(accounts.user_dict(user))


@bp.patch("/users/<user_id>")
@declare("Change role or disable", body=UserChange, validate=False, tags=("users",),
         responses={200: UserOut, 404: None, 409: None, 422: None})
def update_user(user_id: str):
    body = json_body()
    errors = {k: "unknown field" for k in body if k not in ("role", "disabled")}
    if "role" in body and body["role"] not in accounts.ROLES:
        errors["role"] = "admin or user"
    if "disabled" in body and not isinstance(body["disabled"], bool):
        errors["disabled"] = "true or false"
    if not body:
        errors["body"] = "give role or disabled"
    if errors:
        raise ApiError(422, "invalid_fields", "some fields are not valid", errors)
    me = current_principal()
    if me.user_id == user_id and (body.get("role") == "user" or body.get("disabled")):
        raise ApiError(409, "conflict", "you cannot demote or disable yourself")
    user = accounts.update_user(_runtime(), _user_id(user_id), role=body.get("role"), disabled=body.get("disabled"))
    if user is None:
        raise ApiError(404, "not_found", "no such user")
    return jsonify(accounts.user_dict(user))


@bp.delete("/users/<user_id>")
@declare("Delete a user and their sessions", validate=False, responses={200: UserDeleted, 404: None, 409: None},
         tags=("users",))
def delete_user(user_id: str):
    if current_principal().user_id == user_id:
        raise ApiError(409, "conflict", "you cannot delete yourself")
    if not accounts.delete_user(_runtime(), _user_id(user_id)):
        raise ApiError(404, "not_found", "no such user")
    return jsonify({"deleted": True, "id": user_id})
