"""What plexbooks remembers for itself, beside the admin's settings: the Plex server's machine
identifier, the generated webhook secret, the API key's hash, the worker's heartbeat and
state, small markers other modules keep (``state.*`` keys).

It lives in the settings table (one table for what is configured and what is remembered), but
nothing here is a setting: an admin never edits it. Every process reads it the same way, so
the web layer learns what the worker is doing without importing the worker.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import weakref
from typing import Any

from sqlalchemy.exc import IntegrityError

from plugin.models import StoredSetting, utcnow
from plugin.runtime import Runtime

log = logging.getLogger(__name__)

MACHINE_ID = "state.machine_identifier"
API_KEY_HASH = "state.api_key_hash"
WORKER = "state.worker"
WEBHOOK_SECRET = "webhook_secret"   # the setting's own key: a generated secret reads like a configured one
HEARTBEAT_S = 5.0                   # the worker writes its state this often; three misses and it is not alive

# per Runtime: the machine identifier as last read, for callers that accept a copy a few seconds old
_machine_ids: weakref.WeakKeyDictionary[Runtime, tuple[float, str | None]] = weakref.WeakKeyDictionary()


def get(runtime: Runtime, key: str) -> str | None:
    with runtime.session() as s:
        row = s.get(StoredSetting, key)
        return row.value if row else None


def put(runtime: Runtime, key: str, value: str | None, *, only_if_absent: bool = False) -> str | None:
    """Store a value; with ``only_if_absent`` the first writer wins and its value is returned."""
    try:
        with runtime.session() as s:
            row = s.get(StoredSetting, key)
            if row is None:
                s.add(StoredSetting(key=key, value=value))
            elif not only_if_absent:
                row.value, row.updated_at = value, utcnow()
            else:
                return row.value
    except IntegrityError:      # another process inserted it between our read and our write
        pass
    return get(runtime, key)


# -- the Plex server ------------------------------------------------------------------------------
def machine_identifier(runtime: Runtime, max_age: float = 0.0) -> str | None:
    cached = _machine_ids.get(runtime)
    if max_age > 0 and cached is not None and cached[1] and time.monotonic() - cached[0] < max_age:
        return cached[1]
    value = get(runtime, MACHINE_ID)
    _machine_ids[runtime] = (time.monotonic(), value)
    return value


def remember_machine_identifier(runtime: Runtime, value: str) -> None:
    """Stored on the first successful connection, whichever command made it."""
    previous = get(runtime, MACHINE_ID)
    if value and previous != value:
        if previous:
            log.warning("Plex machineIdentifier changed from %s to %s", previous, value)
        put(runtime, MACHINE_ID, value)


# -- webhooks -------------------------------------------------------------------------------------
def webhook_secret(runtime: Runtime, max_age: float = 0.0) -> str:
    """The configured secret, or one generated once and stored encrypted (first writer wins)."""
    config = runtime.config(max_age)
    if config.webhook_secret:
        return config.webhook_secret
    put(runtime, WEBHOOK_SECRET, runtime.vault.encrypt(secrets.token_urlsafe(24)), only_if_absent=True)
    return runtime.config().webhook_secret


def webhook_url(runtime: Runtime) -> str:
    """The full URL to paste into Plex (Settings > Webhooks)."""
    config = runtime.config()
    base = config.public_url or f"http://{config.host}:{config.port}"
    return f"{base.rstrip('/')}/webhooks/plex/{webhook_secret(runtime)}"


# -- the admin API key ----------------------------------------------------------------------------
def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_api_key(runtime: Runtime) -> str | None:
    """Make sure an API key exists. Returns a newly generated key (to show once), else None."""
    if runtime.config().api_key or get(runtime, API_KEY_HASH):
        return None
    key = secrets.token_urlsafe(32)
    winner = put(runtime, API_KEY_HASH, _hash_key(key), only_if_absent=True)
    return key if winner == _hash_key(key) else None


def check_api_key(runtime: Runtime, presented: str | None) -> bool:
    if not presented:
        return False
    configured = runtime.boot.api_key          # set by the environment only: no database read per request
    if configured:
        return hmac.compare_digest(presented.encode(), configured.encode())
    stored = get(runtime, API_KEY_HASH)
    if not stored:
        return False
    return hmac.compare_digest(_hash_key(presented), stored)


# -- the worker -----------------------------------------------------------------------------------
def write_worker_state(runtime: Runtime, state: dict[str, Any]) -> None:
    put(runtime, WORKER, json.dumps(state))


def worker_state(runtime: Runtime) -> dict[str, Any] | None:
    """The worker's last written state, with ``alive``: a recent heartbeat and not stopped."""
    raw = get(runtime, WORKER)
    if not raw:
        return None
    state = json.loads(raw)
    state["alive"] = not state.get("stopped") and time.time() - state.get("heartbeat_at", 0) < 3 * HEARTBEAT_S
    return state
