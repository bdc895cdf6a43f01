"""The no-leak watch behind the autouse ``no_leaks`` fixture (tests/conftest.py).

Collected, for the whole session, as the suite creates them:
- the simulated Plex server's system token (every ``SimulatedPlex`` started),
- every simulated account's plex.tv token and server access token (``UserRegistry.add``, and
  the new token after ``revoke_plextv_token``),
- the suite's admin API key and every password hashed by plexbooks (``accounts.hash_password``),
- anything a test hands to :func:`track` (e.g. Fernet keys).

Watched, in every test:
- every response of the plexbooks app through Flask's test client, and every response of a
  plexbooks server over ``requests`` (paths under ``/api/v1``, ``/webhooks``, ``/healthz``):
  body and headers, the session cookie aside;
- every log record of any logger, as the product's handlers emit it (through the redacting
  filter, as ``install_redaction`` sets it up);
- the message of every plexbooks exception created (Plex and plex.tv errors, API errors,
  sign-in errors, settings and configuration errors, job failures).
"""
from __future__ import annotations

import logging
from typing import Any

from flask.testing import FlaskClient

SECRETS: set[str] = set()
_found: list[str] = []
_handler: logging.Handler | None = None
_levels: dict[str, int] = {}


def track(*values: str | None) -> None:
    for value in values:
        if value and len(value) >= 6:
            SECRETS.add(value)


def _scan(where: str, text: str) -> None:
    for secret in SECRETS:
        if secret in text:
            _found.append(f"{secret[:3]}... in {where}")


def _scan_response(where: str, response: Any, body: bytes | None) -> None:
    from plugin.web.auth import COOKIE
    headers = [f"{k}: {v}" for k, v in response.headers.items()
               if not (k.lower() == "set-cookie" and v.startswith(f"{COOKIE}="))]
    _scan(f"{where} headers", "\n".join(headers))
    if body:
        _scan(f"{where} body", body.decode("utf-8", "replace"))


class _Capture(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + (record.exc_text or logging.Formatter().formatException(record.exc_info))
        _scan(f"log record of {record.name}", text)


def install(monkeypatch) -> list[str]:
    global _handler
    _found.clear()
    from tests.conftest import API_KEY
    track(API_KEY)

    from plugin import accounts
    from plugin.simulator.server import SimulatedPlex
    from plugin.simulator.users import UserRegistry

    original_start = SimulatedPlex.start

    def start(self, *args, **kwargs):
        track(self.token)
        return original_start(self, *args, **kwargs)
    monkeypatch.setattr(SimulatedPlex, "start", start)

    original_add = UserRegistry.add

    def add(self, *args, **kwargs):
        user = original_add(self, *args, **kwargs)
        track(user.plextv_token, user.server_token)
        return user
    monkeypatch.setattr(UserRegistry, "add", add)

    original_revoke = UserRegistry.revoke_plextv_token

    def revoke(self, username):
        user = original_revoke(self, username)
        track(user.plextv_token)
        return user
    monkeypatch.setattr(UserRegistry, "revoke_plextv_token", revoke)

    original_hash = accounts.hash_password

    def hash_password(password: str) -> str:
        track(password)
        return original_hash(password)
    monkeypatch.setattr(accounts, "hash_password", hash_password)

    original_open = FlaskClient.open

    def open_(self, *args, **kwargs):
        response = original_open(self, *args, **kwargs)
        _scan_response(f"response to {getattr(response.request, 'path', '?')}", response, response.get_data())
        return response
    monkeypatch.setattr(FlaskClient, "open", open_)

    import requests
    original_send = requests.Session.send

    def send(self, request, **kwargs):
        response = original_send(self, request, **kwargs)
        path = request.path_url
        if path.startswith(("/api/v1", "/webhooks", "/healthz")) and not kwargs.get("stream"):
            _scan_response(f"response to {path.split('?')[0]}", response, response.content)
        return response
    monkeypatch.setattr(requests.Session, "send", send)

    _watch_exceptions(monkeypatch)

    from plugin.redaction import REDACTOR
    _handler = _Capture(level=logging.DEBUG)
    _handler.addFilter(REDACTOR)       # what the product's handlers do (install_redaction)
    logging.getLogger().addHandler(_handler)
    for name in ("plugin", "webhooks"):     # plexbooks' own debug records are watched too
        _levels[name] = logging.getLogger(name).level
        logging.getLogger(name).setLevel(logging.DEBUG)
    return _found


def _watch_exceptions(monkeypatch) -> None:
    from plugin import jobs, plex, plextv, runtime, settings, signin
    from plugin.web import errors
    for cls in (plex.PlexError, plextv.PlexTVError, errors.ApiError, signin.SignInError,
                settings.SettingError, runtime.NotConfigured, jobs.JobFailed):
        original = cls.__init__

        def init(self, *args, __original=original, **kwargs):
            __original(self, *args, **kwargs)
            _scan(f"{type(self).__name__} message", str(self) + " " + str(getattr(self, "message", "")))
        monkeypatch.setattr(cls, "__init__", init)


def uninstall() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler = None
    for name, level in _levels.items():
        logging.getLogger(name).setLevel(level)
