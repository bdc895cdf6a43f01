"""The simulator's control API under ``/_simulator/`` (JSON in, JSON out, no Plex token):
what tests and the demo use to change the simulated world while it runs.

``handle`` answers one request as ``(status, payload)``; errors use the project's one
error shape ``{"error": {"code", "message", "fields"}}``.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .catalogue import ASIN_SOURCES, Album
from .users import SimUser

if TYPE_CHECKING:
    from .server import SimulatedPlex


class ControlError(Exception):
    """A control request that cannot be done: answered as ``status`` with the error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_json(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "fields": {}}}


def handle(sim: "SimulatedPlex", method: str, path: str, body: bytes) -> tuple[int, Any]:
    """Answer ``method path`` of the control API."""
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return 400, error_json("bad_json", "body must be a JSON object")
    parts = path.split("/")[2:]  # after "/_simulator"
    try:
        return _dispatch(sim, method, parts, data, path)
    except ControlError as exc:
        return exc.status, error_json(exc.code, exc.message)


def _dispatch(sim: "SimulatedPlex", method: str, parts: list[str], data: dict,
              path: str) -> tuple[int, Any]:
    if parts == ["albums"] and method == "POST":
        try:
            album = sim.add_album(**album_args(data))
        except (TypeError, ValueError) as exc:
            raise ControlError(400, "invalid_album", str(exc)) from None
        return 201, album_json(album)
    if len(parts) == 2 and parts[0] == "albums" and method in ("DELETE", "GET"):
        found = sim.catalogue.get_album(parts[1])
        if found is None:
            raise ControlError(404, "not_found", f"no album {parts[1]}")
        if method == "GET":
            return 200, album_json(found)
        return 200, album_json(sim.remove_album(parts[1]))
    if parts == ["webhooks"] and method == "POST":
        urls = data.get("urls", [data["url"]] if data.get("url") else [])
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ControlError(400, "invalid_urls", "urls must be a list of strings")
        sim.set_webhook_urls(urls)
        return 200, {"webhook_urls": sim.webhook_urls}
    if parts == ["failures"] and method == "POST":
        try:
            sim.set_failure(str(data.get("mode")), data.get("count"), path=data.get("path"),
                            after=int(data.get("after") or 0),
                            seconds=float(data.get("seconds") or 2.0))
        except (TypeError, ValueError) as exc:
            raise ControlError(400, "invalid_failure", str(exc)) from None
        return 200, {"failures": sim.failures.describe()}
    if parts == ["failures"] and method == "DELETE":
        sim.clear_failures()
        return 200, {"failures": []}
    if parts and parts[0] == "users":
        return _users(sim, method, parts[1:], data, path)
    if parts == ["dirty-text"] and method == "GET":
        return 200, {"rating_keys": sim.dirty_rating_keys()}
    if parts == ["state"] and method == "GET":
        return 200, sim.state()
    raise ControlError(404, "not_found", f"no control endpoint {method} {path}")


_ALBUM_ARGS = {"title", "author", "narrator", "asin", "tracks", "year", "summary",
               "asin_source", "guid_kind", "parent_title", "series", "series_index",
               "user_rating", "genres", "studio", "webhook_per_track"}


def album_args(data: dict) -> dict:
    unknown = set(data) - _ALBUM_ARGS
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    if not isinstance(data.get("title"), str) or not isinstance(data.get("author"), str):
        raise ValueError("title and author (strings) are required")
    tracks = data.get("tracks")
    if tracks is not None and not isinstance(tracks, (int, list)):
        raise ValueError("tracks must be a count or a list")
    if data.get("asin_source") is not None and data["asin_source"] not in ASIN_SOURCES:
        raise ValueError(f"asin_source must be one of {list(ASIN_SOURCES)}")
    return dict(data)


def album_json(album: Album) -> dict:
    """The snake_case JSON the control API returns for an album."""
    return {
        "rating_key": album.rating_key, "guid": album.guid, "title": album.title,
        "parent_title": album.parent_title, "author": album.author, "narrator": album.narrator,
        "asin": album.asin, "exposed_asin": album.exposed_asin, "asin_source": album.asin_source,
        "year": album.year, "added_at": album.added_at, "updated_at": album.updated_at,
        "section_id": album.section_id, "artist_rating_key": album.artist_rating_key,
        "duration": album.duration, "folder": album.folder, "thumb": album.thumb,
        "tracks": [{"rating_key": t.rating_key, "title": t.title, "duration": t.duration,
                    "file": t.file} for t in album.tracks],
    }


_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def _users(sim: "SimulatedPlex", method: str, rest: list[str], data: dict,
           path: str) -> tuple[int, Any]:
    """``/_simulator/users[/{username}[/ratings]]``."""
    if not rest and method == "GET":
        return 200, {"users": [user_json(u) for u in sim.users.all()]}
    if not rest and method == "POST":
        _only(data, {"username", "owned", "has_access"}, "invalid_user")
        username = data.get("username")
        if not isinstance(username, str) or not _USERNAME.match(username):
            raise ControlError(400, "invalid_user",
                               "username must be 1-64 letters, digits or _.@- (starting with a letter or digit)")
        flags = {k: data[k] for k in ("owned", "has_access") if k in data}
        if not all(isinstance(v, bool) for v in flags.values()):
            raise ControlError(400, "invalid_user", "owned and has_access must be booleans")
        if sim.users.get(username) is not None:
            raise ControlError(409, "user_exists", f"user {username} exists")
        return 201, user_json(sim.add_user(username, **flags))
    if not rest or len(rest) > 2 or rest[1:] not in ([], ["ratings"]):
        raise ControlError(404, "not_found", f"no control endpoint {method} {path}")
    username = rest[0]
    if sim.users.get(username) is None:
        raise ControlError(404, "not_found", f"no user {username}")
    if len(rest) == 1 and method == "GET":
        return 200, user_json(sim._user(username))
    if len(rest) == 1 and method == "PATCH":
        _only(data, {"has_access"}, "invalid_user")
        if not isinstance(data.get("has_access"), bool):
            raise ControlError(400, "invalid_user", "has_access (boolean) is required")
        try:
            return 200, user_json(sim.set_user_access(username, data["has_access"]))
        except ValueError as exc:
            raise ControlError(400, "invalid_user", str(exc)) from None
    if rest[1:] == ["ratings"] and method == "PUT":
        if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                   for v in data.values()):
            raise ControlError(400, "invalid_ratings", "ratings must be numbers 0-10 or null")
        try:
            user = sim.set_user_ratings(username, data)
        except KeyError as exc:
            raise ControlError(400, "invalid_ratings", f"no item {exc.args[0]} in the audiobooks") from None
        except ValueError as exc:
            raise ControlError(400, "invalid_ratings", str(exc)) from None
        return 200, user_json(user)
    raise ControlError(404, "not_found", f"no control endpoint {method} {path}")


def _only(data: dict, allowed: set[str], code: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ControlError(400, code, f"unknown fields: {sorted(unknown)}")


def user_json(user: SimUser) -> dict:
    """A simulated account, tokens included (the control API is the simulator's own)."""
    return {"id": user.id, "uuid": user.uuid, "username": user.username, "email": user.email,
            "owned": user.owned, "has_access": user.has_access,
            "server_token": user.server_token, "plextv_token": user.plextv_token,
            "ratings": dict(user.ratings)}
