"""The HTTP side of the simulated server: one request handler that parses a request,
applies injected faults and the token check, and hands it to the control API, the
websocket or the Plex API routes; and the threading server that tracks its connections
so ``stop()`` can cut them like a real server going away."""
from __future__ import annotations

import json
import logging
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from . import control, faults
from .render import PLEX_VERSION, XML_TYPE, Answer, html_error
from .routes import Request, route
from .websocket import NOTIFICATIONS_PATH, WebSocketClient, accept_key, serve_connection

if TYPE_CHECKING:
    from .server import SimulatedPlex

log = logging.getLogger(__name__)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server: "HTTPServer"

    # quiet: the test output is not the place for an access log
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)

    def version_string(self) -> str:
        return f"PlexMediaServer/{PLEX_VERSION}"

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

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    # ------------------------------------------------------------------ plumbing
    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise Answer(400, html_error(400)) from None
        if n > 8 << 20:
            raise Answer(413, b"")
        return self.rfile.read(n)

    def _send(self, status: int, body: bytes, ctype: str = XML_TYPE,
              extra: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Plex-Protocol", "1.0")
        self.send_header("Cache-Control", "no-cache")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if self._drop:
            # "drop_connection": a few bytes of the body, then the socket goes away
            self.wfile.write(body[:max(1, min(len(body) // 2, 512))])
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _dispatch(self, method: str) -> None:
        self._drop = False
        sim: SimulatedPlex = self.server.sim
        try:
            split = urlsplit(self.path)
            path = unquote(split.path) or "/"
            if len(path) > 1:
                path = path.rstrip("/") or "/"
            pairs = parse_qsl(split.query, keep_blank_values=True)
            query = dict(pairs)
            body = self._read_body()
            if path.startswith("/_simulator/") or path == "/_simulator":
                self._send_json(*control.handle(sim, method, path, body))
                return
            sim.log_request(method, path, query, dict(self.headers.items()))
            effects = faults.apply(sim.failures.take(path), sim.stopping)
            self._drop = effects.drop
            viewer = sim.viewer_for(self.headers.get("X-Plex-Token") or query.get("X-Plex-Token"))
            if path != "/identity" and viewer is None:
                raise Answer(401, html_error(401))
            if path == NOTIFICATIONS_PATH:
                self._websocket(sim)
                return
            status, payload = route(Request(sim, method, path, query, pairs, self.headers,
                                            effects.no_total_size, viewer))
            if isinstance(payload, tuple):  # (body, content type)
                self._send(status, payload[0], payload[1])
            else:
                self._send(status, payload)
        except Answer as answer:
            self._send(answer.status, answer.body, answer.ctype)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:  # a simulator bug must still answer like a server would
            log.exception("simulated Plex failed on %s %s", method, self.path)
            self.close_connection = True
            self._send(500, html_error(500), "text/html")

    # ------------------------------------------------------------------ websocket
    def _websocket(self, sim: SimulatedPlex) -> None:
        key = self.headers.get("Sec-WebSocket-Key")
        if not key or "websocket" not in self.headers.get("Upgrade", "").lower():
            raise Answer(400, html_error(400))
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept_key(key))
        self.end_headers()
        self.wfile.flush()
        client = WebSocketClient(self.connection, self.address_string())
        sim.announcer.hub.add(client)
        try:
            serve_connection(client, cast(BinaryIO, self.rfile))  # a BufferedReader
        finally:
            sim.announcer.hub.discard(client)
            self.close_connection = True


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handlers may idle; stop() closes their sockets
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], sim: "SimulatedPlex") -> None:
        self.sim = sim
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN, which can stall without DNS
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        log.exception("simulated Plex: error while handling a request from %s", client_address)
