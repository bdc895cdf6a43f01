"""A simulated plex.tv: PINs, accounts and resources, on its own port (plex.tv is another host).

It shares the :class:`~plugin.simulator.users.UserRegistry` of the simulated Plex Media Server
it belongs to, so the accounts that sign in here are the ones the server knows, and
``/api/v2/resources`` hands each account the server's access token it holds there.

Endpoints (as plex.tv answers them; JSON with ``Accept: application/json``, XML otherwise,
shaped like the recordings in ``fixtures/plex/``):

- ``POST /api/v2/pins`` (``strong=true`` gives the long code) -> 201 with the PIN;
- ``GET /api/v2/pins/{id}`` -> the PIN, ``authToken`` null until claimed; 404 once expired
  (or asked by another client identifier);
- ``GET /api/v2/user`` -> the account of ``X-Plex-Token``; 401 for a bad token;
- ``GET /api/v2/resources?includeHttps=1&includeRelay=1`` -> the servers the account can
  reach, each with its own ``accessToken``, plus one player device (not a server);
- ``GET /auth#?clientID=...&code=...&forwardUrl=...`` -> the sign-in page (what
  ``app.plex.tv/auth`` is): pick an account, press the button, the PIN is claimed and the
  browser goes to ``forwardUrl``.

Control (no token): ``POST /_simulator/pins/{id}/claim`` ``{"username"}``,
``POST /_simulator/pins/{id}/expire``, ``PATCH /_simulator/pins`` ``{"ttl_seconds"}`` (new PINs' lifetime),
``GET /_simulator/pins``, ``POST|DELETE /_simulator/failures`` (modes ``error500``, ``error503``,
``slow``, ``garbage``, ``malformed``, ``truncated``, ``empty``, ``unauthorized``,
``drop_connection``; ``after`` lets that many matching requests through first),
``GET /_simulator/users``.
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import secrets
import socket
import string
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import quoteattr

from .users import SimUser, UserRegistry

if TYPE_CHECKING:
    from .server import SimulatedPlex

log = logging.getLogger(__name__)

# error500/error503: a 5xx page; unauthorized: 401 as plex.tv words it; slow: waits ``seconds``
# then answers; garbage: bytes that are neither JSON nor XML; malformed: well-formed JSON (or
# XML) of the wrong shape; truncated: the body cut short of its Content-Length, connection
# closed; empty: 200 with no body; drop_connection: the connection closed, no answer.
PLEXTV_FAILURE_MODES = ("error500", "error503", "slow", "garbage", "malformed", "truncated", "empty",
                        "unauthorized", "drop_connection")
PIN_TTL_S = 900.0
SERVER_VERSION = "1.41.3.9314-a0bfb8370"
_STRONG_ALPHABET = string.ascii_lowercase + string.digits
_SHORT_ALPHABET = string.ascii_uppercase + string.digits
_LOCATION = {"code": "GB", "european_union_member": False, "continent_code": "EU", "country": "United Kingdom",
             "city": "London", "time_zone": "Europe/London", "postal_code": "N19",
             "in_privacy_restricted_country": True, "subdivisions": "England", "coordinates": "51.000, -1"}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SimPin:
    id: int
    code: str
    client_identifier: str
    created_at: float
    expires_at: float
    product: str = "0"
    claimed_by: SimUser | None = None

    def as_json(self, now: float) -> dict[str, Any]:
        token = self.claimed_by.plextv_token if self.claimed_by else None
        return {"id": self.id, "code": self.code, "product": self.product, "trusted": False,
                "qr": f"https://plex.tv/api/v2/pins/qr/{self.code}", "clientIdentifier": self.client_identifier,
                "location": dict(_LOCATION), "expiresIn": max(0, int(self.expires_at - now)),
                "createdAt": _iso(self.created_at), "expiresAt": _iso(self.expires_at), "authToken": token,
                "newRegistration": False if token else None}


@dataclass
class _Fault:
    mode: str
    count: int | None
    path: str | None
    seconds: float
    after: int = 0
    seen: int = 0
    fired: int = 0


class SimulatedPlexTV:
    """plex.tv on 127.0.0.1 for one simulated Plex Media Server and its accounts."""

    def __init__(self, plex: "SimulatedPlex", users: UserRegistry | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, pin_ttl: float = PIN_TTL_S) -> None:
        self.plex = plex
        self.users: UserRegistry = users or plex.users       # one registry for both halves
        self.host = host
        self._port = port
        self.pin_ttl = pin_ttl
        self._pins: dict[int, SimPin] = {}
        self._next_pin = 111222333
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.requests_log: list[tuple[str, str, dict[str, str]]] = []

    # -------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth"

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    def start(self) -> str:
        if self._server is not None:
            return self.url
        self._stopping.clear()
        server = ThreadingHTTPServer((self.host, self._port), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.plextv = self  # type: ignore[attr-defined]
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"simulated-plextv-{self._port}", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop answering (plex.tv is down: connections are refused). ``start()`` again brings it back
        on the same port."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> "SimulatedPlexTV":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------- accounts
    def add_user(self, username: str, *, has_access: bool = True) -> SimUser:
        """A plex.tv account the owner shared the server with (or not, ``has_access=False``)."""
        return self.users.add(username, has_access=has_access)

    # -------------------------------------------------------------- PINs
    def create_pin(self, client_identifier: str, *, strong: bool) -> SimPin:
        now = time.time()
        with self._lock:
            code = "".join(secrets.choice(_STRONG_ALPHABET if strong else _SHORT_ALPHABET)
                           for _ in range(25 if strong else 4))
            pin = SimPin(self._next_pin, code, client_identifier, now, now + self.pin_ttl)
            self._pins[pin.id] = pin
            self._next_pin += 1
            return pin

    def pin(self, pin_id: int) -> SimPin | None:
        """The PIN while it has not expired."""
        with self._lock:
            pin = self._pins.get(pin_id)
            if pin is not None and time.time() >= pin.expires_at:
                return None
            return pin

    def pin_by_code(self, code: str, client_identifier: str | None = None) -> SimPin | None:
        with self._lock:
            found = [p for p in self._pins.values() if p.code == code
                     and (client_identifier is None or p.client_identifier == client_identifier)]
        return self.pin(found[-1].id) if found else None

    def claim(self, pin: SimPin, username: str) -> SimPin:
        """The account signs in on the auth page and approves the PIN."""
        user = self.users.get(username)
        if user is None:
            raise KeyError(username)
        with self._lock:
            pin.claimed_by = user
        return pin

    def expire_pin(self, pin_id: int) -> None:
        with self._lock:
            if pin_id in self._pins:
                self._pins[pin_id].expires_at = time.time() - 1

    # -------------------------------------------------------------- faults
    def set_failure(self, mode: str, count: int | None = None, *, path: str | None = None,
                    seconds: float = 2.0, after: int = 0) -> None:
        """Fault every plex.tv API request whose path starts with ``path`` (all when None) for the
        next ``count`` requests (None: until cleared), once ``after`` of them have been answered
        normally (a failure mid-way through a flow). ``slow`` waits ``seconds`` and then answers."""
        if mode not in PLEXTV_FAILURE_MODES:
            raise ValueError(f"mode must be one of {PLEXTV_FAILURE_MODES}")
        if count is not None and int(count) < 1:
            raise ValueError("count must be >= 1 or None")
        if int(after) < 0:
            raise ValueError("after must be >= 0")
        with self._lock:
            self._faults.append(_Fault(mode, None if count is None else int(count), path, float(seconds),
                                       int(after)))

    def clear_failures(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path and not path.startswith(fault.path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    return None
                fault.fired += 1
                if fault.count is not None and fault.fired >= fault.count:
                    self._faults.remove(fault)
                return fault
        return None

    # -------------------------------------------------------------- resources
    def resources_for(self, user: SimUser) -> list[dict[str, Any]]:
        """The account's devices: this server when the account may reach it, and one player."""
        out: list[dict[str, Any]] = []
        owner = self.users.owner
        if user.owned or user.has_access:
            address, port = self.plex.host, self.plex.port
            out.append({
                "name": self.plex.friendly_name, "product": "Plex Media Server", "productVersion": SERVER_VERSION,
                "platform": "Linux", "platformVersion": "6.1.0", "device": "Docker Container",
                "clientIdentifier": self.plex.machine_identifier, "createdAt": "2024-01-01T12:00:00Z",
                "lastSeenAt": _iso(time.time()), "provides": "server",
                "ownerId": None if user.owned else owner.id, "sourceTitle": None if user.owned else owner.username,
                "publicAddress": address, "accessToken": user.server_token, "owned": bool(user.owned),
                "home": False, "synced": False, "relay": True, "presence": True, "httpsRequired": False,
                "publicAddressMatches": True, "dnsRebindingProtection": False, "natLoopbackSupported": False,
                "connections": [{"protocol": "http", "address": address, "port": port, "uri": self.plex.url,
                                 "local": True, "relay": False, "IPv6": False}],
            })
        out.append({
            "name": f"{user.username}'s phone", "product": "Plex for iOS", "productVersion": "8.24",
            "platform": "iOS", "platformVersion": "17.1", "device": "iPhone",
            "clientIdentifier": f"{user.uuid}-ios", "createdAt": "2024-01-01T12:00:00Z",
            "lastSeenAt": "2024-06-01T12:00:00Z", "provides": "client,controller,player", "ownerId": None,
            "sourceTitle": None, "publicAddress": "10.20.30.40", "accessToken": "", "owned": True, "home": False,
            "synced": False, "relay": False, "presence": False, "httpsRequired": False,
            "publicAddressMatches": True, "connections": [
                {"protocol": "http", "address": "10.20.30.41", "port": 32500, "uri": "http://10.20.30.41:32500",
                 "local": True, "relay": False, "IPv6": False}],
        })
        return out


def user_json(user: SimUser) -> dict[str, Any]:
    """``/api/v2/user`` shaped like ``plexapirs_user_plexpass.json``."""
    return {"id": user.id, "uuid": user.uuid, "username": user.username, "title": user.username,
            "email": user.email, "friendlyName": "", "locale": None, "confirmed": True, "joinedAt": 1704110400,
            "emailOnlyAuth": False, "hasPassword": True, "protected": False,
            "thumb": f"https://plex.tv/users/{user.uuid}/avatar?c=1704110400", "authToken": user.plextv_token,
            "mailingListStatus": "unsubscribed", "mailingListActive": False, "scrobbleTypes": "",
            "country": "GB", "subscriptionDescription": "",
            "subscription": {"active": bool(user.owned), "subscribedAt": None,
                             "status": "Active" if user.owned else "Inactive", "paymentService": None,
                             "plan": "lifetime" if user.owned else None,
                             "features": ["webhooks"] if user.owned else []},
            "restricted": False, "anonymous": None, "home": False, "guest": False, "homeSize": 1,
            "homeAdmin": False, "maxHomeSize": 15, "rememberExpiresAt": 1893456000,
            "profile": {"autoSelectAudio": True, "defaultAudioLanguage": "en", "defaultSubtitleLanguage": "en"},
            "entitlements": ["all"] if user.owned else [], "roles": ["plexpass"] if user.owned else [],
            "subscriptions": [], "pastSubscriptions": [], "trials": [], "services": [], "adsConsent": None,
            "adsConsentSetAt": None, "adsConsentReminderAt": None,
            "experimentalFeatures": False, "twoFactorEnabled": False,
            "backupCodesCreated": False}


# ------------------------------------------------------------------------- XML
def _xattr(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return '"1"' if value else '"0"'
    return quoteattr(str(value))


def _xml_attrs(data: dict[str, Any]) -> str:
    return " ".join(f"{k}={_xattr(v)}" for k, v in data.items() if not isinstance(v, (dict, list)))


def user_xml(user: SimUser) -> bytes:
    data = user_json(user)
    sub = data["subscription"]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<user {_xml_attrs(data)}>\n'
            f'  <subscription active={_xattr(sub["active"])} status={_xattr(sub["status"])} '
            f'plan={_xattr(sub["plan"])}>\n    <features>\n'
            + "".join(f'      <feature id={_xattr(f)}/>\n' for f in sub["features"])
            + "    </features>\n  </subscription>\n"
            + f"  <profile {_xml_attrs(data['profile'])}/>\n  <roles>\n"
            + "".join(f'    <role id={_xattr(r)}/>\n' for r in data["roles"])
            + "  </roles>\n</user>\n").encode()


def resources_xml(resources: list[dict[str, Any]]) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<resources>\n']
    for resource in resources:
        parts.append(f"  <resource {_xml_attrs(resource)}>\n    <connections>\n")
        parts += [f"      <connection {_xml_attrs(c)}/>\n" for c in resource["connections"]]
        parts.append("    </connections>\n  </resource>\n")
    parts.append("</resources>\n")
    return "".join(parts).encode()


def pin_xml(pin: dict[str, Any]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<pin {_xml_attrs(pin)}>\n'
            f'  <location {_xml_attrs(pin["location"])}/>\n</pin>\n').encode()


def _errors_xml(code: int, message: str, status: int) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<errors>\n  <error code="{code}" message={_xattr(message)} '
            f'status="{status}"/>\n</errors>\n').encode()


# ------------------------------------------------------------------------- auth page
_AUTH_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plex - Sign in (simulated)</title></head>
<body>
<h1>Sign in to Plex (simulated)</h1>
<p>An app asks to sign in with your Plex account.</p>
<form method="post" action="/auth/claim" id="signin">
  <input type="hidden" name="clientID" id="clientID">
  <input type="hidden" name="code" id="code">
  <input type="hidden" name="forwardUrl" id="forwardUrl">
  <label for="username">Account</label>
  <select name="username" id="username">{options}</select>
  <button type="submit" id="approve">Sign in</button>
</form>
<script>
// app.plex.tv keeps its parameters in the fragment (#?clientID=...&code=...): copy them into the form.
const params = new URLSearchParams(window.location.hash.replace(/^#\\??/, ""));
for (const name of ["clientID", "code", "forwardUrl"]) {{
  document.getElementById(name).value = params.get(name) || params.get("context[" + name + "]") || "";
}}
</script>
</body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("plex.tv %s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------------ plumbing
    @property
    def tv(self) -> SimulatedPlexTV:
        return self.server.plextv  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _answer(self, status: int, payload: Any, xml: bytes) -> None:
        if "application/json" in self.headers.get("Accept", ""):
            self._json(status, payload)
        else:
            self._send(status, xml, "application/xml; charset=utf-8")

    def _error(self, status: int, code: int, message: str) -> None:
        self._answer(status, {"errors": [{"code": code, "message": message, "status": status}]},
                     _errors_xml(code, message, status))

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(length, 1 << 20)) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        try:
            split = urlsplit(self.path)
            path = unquote(split.path).rstrip("/") or "/"
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            body = self._body()
            if path.startswith("/_simulator"):
                self._control(method, path, body)
                return
            self.tv.requests_log.append((method, path, {k: v for k, v in self.headers.items()}))
            if path in ("/auth", "/auth/claim"):
                self._auth_page(method, path, body)
                return
            fault = self.tv._take_fault(path)
            if fault is not None and self._fault(fault):
                return
            self._api(method, path, query, body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a simulator bug still answers like a server
            log.exception("simulated plex.tv failed on %s %s", method, self.path)
            self._send(500, b"internal error", "text/plain")

    def _fault(self, fault: _Fault) -> bool:
        if fault.mode == "slow":
            self.tv._stopping.wait(min(fault.seconds, 300.0))
            return False
        json_asked = "json" in self.headers.get("Accept", "")
        ctype = "application/json" if json_asked else "application/xml"
        if fault.mode == "error500":
            self._send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
        elif fault.mode == "error503":
            self._send(503, b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", "text/html")
        elif fault.mode == "unauthorized":
            self._error(401, 1001, "User could not be authenticated")
        elif fault.mode == "garbage":
            self._send(200, b"\x00<<not json or xml {{", ctype)
        elif fault.mode == "malformed":
            # parses, but is not what was asked: a list where an object belongs, an object
            # where a list belongs, and neither has the fields a client reads
            body = b'[{"unexpected": true}]' if json_asked else b'<?xml version="1.0"?>\n<unexpected/>\n'
            if json_asked and self.path.split("?")[0].rstrip("/").endswith("/resources"):
                body = b'{"resources": "elsewhere"}'
            self._send(200, body, ctype)
        elif fault.mode == "empty":
            self._send(200, b"", ctype)
        elif fault.mode == "truncated":
            body = b'{"id": 1, "code": "abcdefghij' if json_asked else b'<?xml version="1.0"?>\n<pin id="1'
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) + 200))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif fault.mode == "drop_connection":
            self.close_connection = True
            self.connection.close()
        return True

    # ------------------------------------------------------------------ API
    def _api(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        tv = self.tv
        form = dict(parse_qsl(body.decode("utf-8", "replace"))) if body else {}
        client_id = self.headers.get("X-Plex-Client-Identifier") or query.get("X-Plex-Client-Identifier")
        token = self.headers.get("X-Plex-Token") or query.get("X-Plex-Token")
        now = time.time()
        if path == "/api/v2/pins" and method == "POST":
            if not client_id:
                self._error(400, 1000, "X-Plex-Client-Identifier is missing")
                return
            strong = (query.get("strong") or form.get("strong") or "").lower() in ("true", "1")
            pin = tv.create_pin(client_id, strong=strong).as_json(now)
            self._answer(201, pin, pin_xml(pin))
        elif path.startswith("/api/v2/pins/") and method == "GET":
            try:
                pin_id = int(path.rsplit("/", 1)[1])
            except ValueError:
                self._error(404, 1020, "Code not found or expired")
                return
            found = tv.pin(pin_id)
            if found is None or (client_id and found.client_identifier != client_id):
                self._error(404, 1020, "Code not found or expired")
                return
            data = found.as_json(now)
            self._answer(200, data, pin_xml(data))
        elif path == "/api/v2/user" and method == "GET":
            user = tv.users.by_plextv_token(token)
            if user is None:
                self._error(401, 1001, "User could not be authenticated")
                return
            self._answer(200, user_json(user), user_xml(user))
        elif path == "/api/v2/resources" and method == "GET":
            user = tv.users.by_plextv_token(token)
            if user is None:
                self._error(401, 1001, "User could not be authenticated")
                return
            resources = tv.resources_for(user)
            self._answer(200, resources, resources_xml(resources))
        else:
            self._error(404, 1002, "Not found")

    # ------------------------------------------------------------------ auth page
    def _auth_page(self, method: str, path: str, body: bytes) -> None:
        tv = self.tv
        if path == "/auth" and method == "GET":
            options = "".join(f"<option value={quoteattr(u.username)}>{html.escape(u.username)}</option>"
                              for u in tv.users.all())
            self._send(200, _AUTH_PAGE.format(options=options).encode(), "text/html; charset=utf-8")
            return
        if path != "/auth/claim" or method != "POST":
            self._send(405, b"method not allowed", "text/plain")
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        pin = tv.pin_by_code(form.get("code", ""), form.get("clientID") or None)
        if pin is None or tv.users.get(form.get("username", "")) is None:
            self._send(400, b"<html><body><p>That sign-in link has expired or is not valid.</p></body></html>",
                       "text/html; charset=utf-8")
            return
        tv.claim(pin, form["username"])
        forward = form.get("forwardUrl") or ""
        if forward.startswith(("http://", "https://")):
            self._send(303, b"", "text/html", {"Location": forward})
        else:
            self._send(200, b"<html><body><p>Signed in. You may close this window.</p></body></html>",
                       "text/html; charset=utf-8")

    # ------------------------------------------------------------------ control API
    def _control(self, method: str, path: str, body: bytes) -> None:
        tv = self.tv
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._json(400, {"error": {"code": "bad_json", "message": "body must be a JSON object", "fields": {}}})
            return
        parts = path.split("/")[2:]
        if len(parts) == 3 and parts[0] == "pins" and parts[2] == "claim" and method == "POST":
            pin = tv.pin(int(parts[1])) if parts[1].isdigit() else None
            if pin is None:
                self._json(404, {"error": {"code": "not_found", "message": "no such PIN", "fields": {}}})
                return
            try:
                tv.claim(pin, str(data.get("username") or tv.users.owner.username))
            except KeyError:
                self._json(404, {"error": {"code": "unknown_user", "message": "no such account", "fields": {}}})
                return
            self._json(200, {"id": pin.id, "claimed_by": pin.claimed_by.username if pin.claimed_by else None})
        elif len(parts) == 3 and parts[0] == "pins" and parts[2] == "expire" and method == "POST":
            if not parts[1].isdigit() or tv.pin(int(parts[1])) is None:
                self._json(404, {"error": {"code": "not_found", "message": "no such PIN", "fields": {}}})
                return
            tv.expire_pin(int(parts[1]))
            self._json(200, {"id": int(parts[1]), "expired": True})
        elif parts == ["pins"] and method == "PATCH":
            try:
                tv.pin_ttl = float(data["ttl_seconds"])
                if tv.pin_ttl <= 0:
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                self._json(400, {"error": {"code": "invalid_ttl", "message": "ttl_seconds must be > 0",
                                           "fields": {}}})
                return
            self._json(200, {"ttl_seconds": tv.pin_ttl})
        elif parts == ["pins"] and method == "GET":
            with tv._lock:
                pins = list(tv._pins.values())
            self._json(200, {"pins": [{"id": p.id, "code": p.code, "expires_at": _iso(p.expires_at),
                                       "claimed_by": p.claimed_by.username if p.claimed_by else None}
                                      for p in pins]})
        elif parts == ["users"] and method == "GET":
            self._json(200, {"users": [{"id": u.id, "username": u.username, "owned": u.owned,
                                        "has_access": u.has_access} for u in tv.users.all()]})
        elif parts == ["failures"] and method == "POST":
            try:
                tv.set_failure(str(data.get("mode")), data.get("count"), path=data.get("path"),
                               seconds=float(data.get("seconds") or 2.0), after=int(data.get("after") or 0))
            except (TypeError, ValueError) as exc:
                self._json(400, {"error": {"code": "invalid_failure", "message": str(exc), "fields": {}}})
                return
            self._json(200, {"failures": len(tv._faults)})
        elif parts == ["failures"] and method == "DELETE":
            tv.clear_failures()
            self._json(200, {"failures": 0})
        else:
            self._json(404, {"error": {"code": "not_found", "message": f"no control endpoint {method} {path}",
                                       "fields": {}}})


# ------------------------------------------------------------------------- `plexbooks simulate`
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plextv-port", type=int, default=0,
                        help="port of the simulated plex.tv (default 0 = any free port)")
    parser.add_argument("--shared-user", action="append", default=[], metavar="NAME",
                        help="a plex.tv account the server is shared with (repeatable; default: 'reader')")


def start_beside(plex: "SimulatedPlex", args: argparse.Namespace) -> SimulatedPlexTV:
    """Start plex.tv next to a running simulated server for ``plexbooks simulate``; print where."""
    tv = SimulatedPlexTV(plex, host=plex.host, port=args.plextv_port)
    albums = [album.rating_key for album in plex.catalogue.ordered()[:3]]
    for name in args.shared_user or ["reader"]:
        tv.add_user(name)
        plex.set_user_ratings(name, dict(zip(albums, (8.0, 6.0, 10.0))))   # their own ratings to read back
    tv.add_user("stranger", has_access=False)
    tv.start()
    print(f"Simulated plex.tv at {tv.url} (sign-in page {tv.auth_url}); accounts: "
          + ", ".join(f"{u.username} ({'owner' if u.owned else 'shared' if u.has_access else 'no access'})"
                      for u in tv.users.all()), flush=True)
    return tv
