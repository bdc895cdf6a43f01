"""A local host app for the notification tests and benchmarks: an HTTP server on 127.0.0.1
that verifies every Standard Webhooks signature and records what it received.

It can be taken down (the port refuses connections) and brought back on the same port, and
it can hang before answering, to stand for a crash between sending and acknowledging.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, secret: str | None = None, port: int = 0):
        self.secret = secret
        self.received: list[dict[str, Any]] = []     # every request, verified or not
        self.bad_signatures = 0
        self.hang = threading.Event()                 # set: read the body, then never answer
        self.status = 200
        self.redirect_to: str | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                receiver._record(self.path, dict(self.headers), raw)
                if receiver.hang.is_set():
                    time.sleep(60)
                    return
                if receiver.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, path: str, headers: dict[str, str], raw: bytes) -> None:
        entry: dict[str, Any] = {"path": path, "headers": {k.lower(): v for k, v in headers.items()},
                                 "raw": raw, "at": time.monotonic(), "verified": False}
        if self.secret is not None:
            try:
                entry["body"] = Webhook(self.secret).verify(raw, entry["headers"])
                entry["verified"] = True
            except WebhookVerificationError:
                with self._lock:
                    self.bad_signatures += 1
        else:
            try:
                entry["body"] = json.loads(raw)
            except ValueError:
                entry["body"] = raw.decode(errors="replace")
        with self._lock:
            self.received.append(entry)

    def unique(self) -> dict[str, dict[str, Any]]:
        """Verified deliveries de-duplicated by webhook-id, as a receiver would."""
        with self._lock:
            out: dict[str, dict[str, Any]] = {}
            for entry in self.received:
                if entry["verified"]:
                    out.setdefault(entry["headers"]["webhook-id"], entry)
            return out

    def events(self) -> list[str]:
        return sorted(e["body"]["type"] for e in self.unique().values())
