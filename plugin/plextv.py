"""The plex.tv client: sign-in PINs, the account of a token, and the account's resources.

python-plexapi stays in the Plex client module; plex.tv is four JSON endpoints, spoken here
with requests and the same identity headers (product, version, the persisted client
identifier). Every failure maps once onto these errors (tokens never appear in messages):

=========================  =================================================  ======
error                      raised for                                         retry?
=========================  =================================================  ======
``PlexTVUnreachable``      connection refused/reset, timeout, 5xx             yes
``PlexTVUnauthorized``     401 (token wrong or revoked)                       no
``PlexTVNotFound``         404 (a PIN that expired or never existed)          no
``PlexTVBadResponse``      other statuses, a body that is not the JSON asked  no
=========================  =================================================  ======
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import requests

from plugin.plex import identity_headers
from plugin.redaction import REDACTOR


class PlexTVError(Exception):
    code = "plextv_error"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(REDACTOR.redact(message))
        self.status = status


class PlexTVUnreachable(PlexTVError):
    code = "plextv_unreachable"
    retryable = True


class PlexTVUnauthorized(PlexTVError):
    code = "plextv_unauthorized"


class PlexTVNotFound(PlexTVError):
    code = "plextv_not_found"


class PlexTVBadResponse(PlexTVError):
    code = "plextv_bad_response"


@dataclass(frozen=True)
class Pin:
    id: int
    code: str
    expires_at: datetime
    auth_token: str | None

    def __repr__(self) -> str:  # never show the token
        return f"Pin(id={self.id}, claimed={self.auth_token is not None})"


@dataclass(frozen=True)
class Account:
    id: int
    uuid: str | None
    username: str
    email: str | None


@dataclass(frozen=True)
class Resource:
    """A device of the account; for a server, ``access_token`` is the account's token *there*."""

    name: str
    client_identifier: str
    provides: str
    owned: bool
    access_token: str | None
    connections: tuple[str, ...]

    @property
    def is_server(self) -> bool:
        return "server" in self.provides.split(",")

    def __repr__(self) -> str:
        return f"Resource(name={self.name!r}, client_identifier={self.client_identifier!r}, owned={self.owned})"


def _time(value: Any) -> datetime:
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise PlexTVBadResponse("plex.tv sent a PIN without a valid expiresAt") from None


def auth_url(auth_base: str, client_identifier: str, code: str, forward_url: str | None) -> str:
    """The Plex sign-in page for a PIN:
    ``{auth}#?clientID=…&code=…&context[device][product]=plexbooks&forwardUrl=…``."""
    parts = [f"clientID={quote(client_identifier, safe='')}", f"code={quote(code, safe='')}",
             "context[device][product]=plexbooks"]
    if forward_url:
        parts.append(f"forwardUrl={quote(forward_url, safe='')}")
    return f"{auth_base}#?" + "&".join(parts)


class PlexTV:
    """plex.tv at ``base_url`` (``https://plex.tv``, or the simulator)."""

    def __init__(self, base_url: str, client_identifier: str, *, timeout: float = 10.0,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.client_identifier = client_identifier
        self.timeout = timeout
        self._session = session or requests.Session()
        self._headers = dict(identity_headers(client_identifier), Accept="application/json")

    def _call(self, method: str, path: str, what: str, *, token: str | None = None,
              params: dict[str, Any] | None = None) -> Any:
        headers = dict(self._headers)
        if token:
            headers["X-Plex-Token"] = token
        try:
            response = self._session.request(method, f"{self.base_url}/api/v2{path}", params=params,
                                             headers=headers, timeout=self.timeout)
        except requests.Timeout:
            raise PlexTVUnreachable(f"plex.tv did not answer {what} within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise PlexTVUnreachable(f"plex.tv could not be reached for {what} ({type(exc).__name__})") from None
        status = response.status_code
        if status == 401:
            raise PlexTVUnauthorized(f"plex.tv refused the token for {what}", status=status)
        if status == 404:
            raise PlexTVNotFound(f"plex.tv does not know {what}", status=status)
        if status >= 500:
            raise PlexTVUnreachable(f"plex.tv failed on {what} (HTTP {status})", status=status)
        if status not in (200, 201):
            raise PlexTVBadResponse(f"plex.tv answered {what} with HTTP {status}", status=status)
        try:
            return response.json()
        except ValueError:
            raise PlexTVBadResponse(f"plex.tv sent something that is not JSON for {what}") from None

    def _pin(self, data: Any) -> Pin:
        try:
            pin = Pin(int(data["id"]), str(data["code"]), _time(data["expiresAt"]), data.get("authToken") or None)
        except (KeyError, TypeError, ValueError):
            raise PlexTVBadResponse("plex.tv sent a PIN without id, code or expiresAt") from None
        REDACTOR.add(pin.auth_token)
        return pin

    def create_pin(self, *, strong: bool = True) -> Pin:
        return self._pin(self._call("POST", "/pins", "a new PIN", params={"strong": "true" if strong else "false"}))

    def check_pin(self, pin_id: int) -> Pin:
        return self._pin(self._call("GET", f"/pins/{int(pin_id)}", f"PIN {int(pin_id)}"))

    def account(self, token: str) -> Account:
        data = self._call("GET", "/user", "the account", token=token)
        try:
            return Account(int(data["id"]), data.get("uuid"), str(data.get("username") or data["title"]),
                           data.get("email"))
        except (KeyError, TypeError, ValueError):
            raise PlexTVBadResponse("plex.tv sent an account without id or username") from None

    def resources(self, token: str) -> list[Resource]:
        data = self._call("GET", "/resources", "the account's servers", token=token,
                          params={"includeHttps": 1, "includeRelay": 1})
        if not isinstance(data, list):
            raise PlexTVBadResponse("plex.tv sent resources that are not a list")
        out = []
        for entry in data:
            try:
                resource = Resource(str(entry.get("name") or ""), str(entry["clientIdentifier"]),
                                    str(entry.get("provides") or ""), bool(entry.get("owned")),
                                    entry.get("accessToken") or None,
                                    tuple(str(c.get("uri")) for c in entry.get("connections") or []))
            except (KeyError, TypeError, AttributeError):
                raise PlexTVBadResponse("plex.tv sent a resource without clientIdentifier") from None
            REDACTOR.add(resource.access_token)
            out.append(resource)
        return out

    def server(self, token: str, machine_identifier: str) -> Resource | None:
        """The account's resource for this server, or None when the account has no access to it."""
        return next((r for r in self.resources(token)
                     if r.is_server and r.client_identifier == machine_identifier and r.access_token), None)
