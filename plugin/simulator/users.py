"""The people of the simulated Plex world: plex.tv accounts and their access to the server.

One registry serves both halves of the simulator. The simulated Plex Media Server asks it
who a token belongs to (the owner's and each shared user's *server access token*); the
simulated plex.tv asks it about accounts (a *plex.tv token* per account) and which
servers each account can reach. Ratings are per user, as on a real server: a listing read
with a shared user's token carries that user's ``userRating``, not the owner's.
"""
from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field


@dataclass
class SimUser:
    """One plex.tv account.

    ``plextv_token`` authenticates the account at plex.tv; ``server_token`` is the access
    token plex.tv hands out for this server in ``/resources`` (the owner's is the server's
    own token). ``has_access`` is false for an account the owner never shared with.
    """

    id: int
    uuid: str
    username: str
    email: str
    plextv_token: str
    server_token: str
    owned: bool = False
    has_access: bool = True
    ratings: dict[str, float] = field(default_factory=dict)   # album ratingKey -> userRating

    @property
    def title(self) -> str:
        return self.username


class UserRegistry:
    """Thread-safe registry of simulated accounts, looked up by either token kind."""

    def __init__(self, owner_server_token: str, *, owner_username: str = "owner") -> None:
        self._lock = threading.Lock()
        self._users: dict[str, SimUser] = {}
        self._next_id = 1000001
        self.owner = self.add(owner_username, owned=True, server_token=owner_server_token)

    def add(self, username: str, *, owned: bool = False, has_access: bool = True,
            server_token: str | None = None, plextv_token: str | None = None,
            email: str | None = None) -> SimUser:
        with self._lock:
            if username in self._users:
                raise ValueError(f"user {username!r} exists")
            user = SimUser(id=self._next_id, uuid=uuid.uuid4().hex[:16], username=username,
                           email=email or f"{username}@example.invalid",
                           plextv_token=plextv_token or secrets.token_urlsafe(15),
                           server_token=server_token or secrets.token_urlsafe(15),
                           owned=owned, has_access=has_access)
            self._next_id += 1
            self._users[username] = user
            return user

    def get(self, username: str) -> SimUser | None:
        with self._lock:
            return self._users.get(username)

    def all(self) -> list[SimUser]:
        with self._lock:
            return list(self._users.values())

    def by_plextv_token(self, token: str | None) -> SimUser | None:
        if not token:
            return None
        with self._lock:
            return next((u for u in self._users.values() if secrets.compare_digest(u.plextv_token, token)), None)

    def by_server_token(self, token: str | None) -> SimUser | None:
        """The account a server access token belongs to, only while it still has access."""
        if not token:
            return None
        with self._lock:
            user = next((u for u in self._users.values() if secrets.compare_digest(u.server_token, token)), None)
        return user if user is not None and (user.owned or user.has_access) else None

    def set_access(self, username: str, has_access: bool) -> SimUser:
        with self._lock:
            user = self._users[username]
            user.has_access = has_access
            return user

    def revoke_plextv_token(self, username: str) -> SimUser:
        """The account's plex.tv token stops working (signed out everywhere); a new one is issued."""
        with self._lock:
            user = self._users[username]
            user.plextv_token = secrets.token_urlsafe(15)
            return user

    def set_rating(self, username: str, rating_key: str, rating: float | None) -> None:
        with self._lock:
            user = self._users[username]
            if rating is None:
                user.ratings.pop(str(rating_key), None)
            else:
                user.ratings[str(rating_key)] = float(rating)
