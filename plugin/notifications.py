"""Plex websocket notifications: the real-time path that needs no Plex Pass.

Listens to ``/:/websockets/notifications``, keeps the ``timeline`` entries of the configured
sections — albums and tracks whose processing is done (state 5), albums deleted (state 9) —
and stores them in the durable inbox like webhooks. Reconnects with backoff, because Plex
restarts and networks drop, and reports its connection state.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from typing import Any, Callable

import websocket

from plugin.inbox import NewEvent, enqueue
from plugin.runtime import Runtime

log = logging.getLogger(__name__)

STATE_DONE, STATE_DELETED = 5, 9
TYPES: dict[int | None, str] = {9: "album", 10: "track"}
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"


def events_from(message: str | bytes, sections: set[str]) -> list[NewEvent]:
    """Inbox events for one websocket message; anything else is ignored."""
    try:
        container = json.loads(message).get("NotificationContainer") or {}
    except (ValueError, AttributeError):
        return []
    if not isinstance(container, dict) or container.get("type") != "timeline":
        return []
    entries = container.get("TimelineEntry") or []
    out: list[NewEvent] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        if entry.get("identifier", LIBRARY_IDENTIFIER) != LIBRARY_IDENTIFIER:
            continue
        section = str(entry.get("sectionID", ""))
        item_type = TYPES.get(_int(entry.get("type")))
        rating_key = str(entry.get("itemID", ""))
        state = _int(entry.get("state"))
        if section not in sections or item_type is None or not rating_key or len(rating_key) > 64:
            continue
        if state == STATE_DONE:
            out.append(NewEvent("websocket", "timeline.created", item_type, rating_key, section,
                                title=entry.get("title") if isinstance(entry.get("title"), str) else None))
        elif state == STATE_DELETED and item_type == "album":
            out.append(NewEvent("websocket", "timeline.deleted", item_type, rating_key, section))
    return out


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class NotificationListener:
    """A websocket client that reconnects with backoff and feeds the inbox."""

    def __init__(self, runtime: Runtime, on_state: Callable[[dict[str, Any]], None] | None = None,
                 *, min_backoff: float = 1.0, max_backoff: float = 60.0):
        self.runtime = runtime
        self.on_state = on_state or (lambda state: None)
        self.min_backoff = min_backoff          # the first wait after a lost connection, doubled up to max
        self.max_backoff = max_backoff
        self.state: dict[str, Any] = {"connected": False, "since": None, "last_error": None, "reconnects": 0,
                                      "events": 0}
        self._stop = threading.Event()
        self._ws: websocket.WebSocketApp | None = None
        self._thread: threading.Thread | None = None
        self._sections: set[str] = set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="plex-notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.keep_running = False
            # Shut the socket down rather than ws.close(): that sends a close frame and then
            # waits up to 3 s for Plex's reply on this thread. Shutdown wakes the reader at once.
            raw = getattr(getattr(ws, "sock", None), "sock", None)
            if raw is not None:
                try:
                    raw.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        if self._thread is not None:
            self._thread.join(2)

    def _set(self, **changes: Any) -> None:
        self.state.update(changes)
        self.on_state(dict(self.state))

    def _run(self) -> None:
        backoff = self.min_backoff
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                config = self.runtime.config()
                self._sections = set(config.plex_library)
                url, headers = self.runtime.plex(config).notifications_endpoint()
                self._ws = websocket.WebSocketApp(
                    url, header=headers, on_open=self._on_open, on_message=self._on_message,
                    on_error=self._on_error, on_close=self._on_close)
                self._ws.run_forever(ping_interval=30, ping_timeout=10)
            except Exception as exc:  # noqa: BLE001 - keep listening whatever went wrong
                self._set(connected=False, last_error=f"{type(exc).__name__}: {exc}")
            if self._stop.is_set():
                break
            if time.monotonic() - started > 30:
                backoff = self.min_backoff      # it was up for a while: reconnect quickly
            self._set(reconnects=self.state["reconnects"] + 1)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)
        self._set(connected=False)

    def _on_open(self, _ws: Any) -> None:
        log.info("websocket: connected to Plex notifications")
        self._set(connected=True, since=time.time(), last_error=None)

    def _on_message(self, _ws: Any, message: str | bytes) -> None:
        for event in events_from(message, self._sections):
            try:
                enqueue(self.runtime, event)
                self.state["events"] += 1
            except Exception:  # noqa: BLE001 - the poll still catches what is lost here
                log.exception("websocket: could not store a notification")

    def _on_error(self, _ws: Any, error: Any) -> None:
        self._set(last_error=f"{type(error).__name__}: {error}"[:300])

    def _on_close(self, _ws: Any, *_args: Any) -> None:
        if self.state["connected"]:
            log.warning("websocket: disconnected from Plex notifications")
        self._set(connected=False)
