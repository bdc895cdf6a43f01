"""Server side of RFC 6455 (just what Plex's notification socket needs), and the
``timeline`` messages Plex pushes on ``/:/websockets/notifications``.

The HTTP handler performs the opening handshake (``accept_key``) and then hands the
connection to ``serve_connection``, which blocks reading client frames (answering pings
and the closing handshake) until the peer leaves or ``WebSocketClient.close()`` shuts the
socket down. Server-to-client messages are unmasked text frames written by
``WebSocketHub.broadcast`` from any thread.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import struct
import threading
from typing import BinaryIO, Iterable

__all__ = [
    "NOTIFICATIONS_PATH",
    "WebSocketClient",
    "WebSocketHub",
    "accept_key",
    "encode_frame",
    "read_frame",
    "serve_connection",
    "timeline_entry",
    "timeline_message",
]

log = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/:/websockets/notifications"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_GOING_AWAY, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG = 1000, 1001, 1002, 1009
MAX_PAYLOAD = 1 << 20  # clients only send control frames here; anything bigger is abuse


def accept_key(client_key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1((client_key.strip() + _GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def encode_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """One final, unmasked frame (servers never mask)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def _read_exact(rfile: BinaryIO, n: int) -> bytes | None:
    data = rfile.read(n) if n else b""
    return data if len(data) == n else None


def read_frame(rfile: BinaryIO) -> tuple[int, bytes] | None:
    """Read one frame; ``(opcode, unmasked payload)`` or None at end of stream.

    Raises ValueError for frames this server refuses (too large).
    """
    head = _read_exact(rfile, 2)
    if head is None:
        return None
    opcode = head[0] & 0x0F
    masked = head[1] & 0x80
    length = head[1] & 0x7F
    if length == 126:
        ext = _read_exact(rfile, 2)
        if ext is None:
            return None
        length = struct.unpack("!H", ext)[0]
    elif length == 127:
        ext = _read_exact(rfile, 8)
        if ext is None:
            return None
        length = struct.unpack("!Q", ext)[0]
    if length > MAX_PAYLOAD:
        raise ValueError("frame too large")
    mask = _read_exact(rfile, 4) if masked else b""
    if mask is None:
        return None
    payload = _read_exact(rfile, length)
    if payload is None:
        return None
    if masked:
        # XOR with the repeating 4-byte mask, done on one big integer for speed
        key = (mask * (length // 4 + 1))[:length]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(
            length, "big")
    return opcode, payload


class WebSocketClient:
    """One connected client; ``send`` is safe from any thread."""

    def __init__(self, sock: socket.socket, peer: str = "") -> None:
        self.sock = sock
        self.peer = peer
        self._lock = threading.Lock()
        self.closed = False

    def send(self, payload: bytes, opcode: int = OP_TEXT) -> bool:
        frame = encode_frame(payload, opcode)
        with self._lock:
            if self.closed:
                return False
            try:
                self.sock.sendall(frame)
                return True
            except OSError:
                self.closed = True
                return False

    def send_text(self, text: str) -> bool:
        return self.send(text.encode("utf-8"), OP_TEXT)

    def close(self, code: int = CLOSE_GOING_AWAY, reason: str = "", *,
              graceful: bool = True) -> None:
        """Shut the socket down so the reader sees EOF; with ``graceful``, send a close
        frame first. Without it the client sees the connection drop, as when Plex restarts.
        """
        if graceful:
            self.send(struct.pack("!H", code) + reason.encode("utf-8")[:120], OP_CLOSE)
        with self._lock:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WebSocketHub:
    """The set of connected notification clients."""

    def __init__(self) -> None:
        self._clients: set[WebSocketClient] = set()
        self._lock = threading.Lock()
        self.connected_total = 0

    def add(self, client: WebSocketClient) -> None:
        with self._lock:
            self._clients.add(client)
            self.connected_total += 1

    def discard(self, client: WebSocketClient) -> None:
        with self._lock:
            self._clients.discard(client)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._clients)

    def broadcast(self, text: str) -> int:
        """Send a text message to every client; returns how many got it."""
        with self._lock:
            clients = list(self._clients)
        sent = 0
        for client in clients:
            if client.send_text(text):
                sent += 1
            else:
                self.discard(client)
        return sent

    def close_all(self, code: int = CLOSE_GOING_AWAY, *, graceful: bool = True) -> int:
        with self._lock:
            clients = list(self._clients)
            self._clients.clear()
        for client in clients:
            client.close(code, "server shutting down", graceful=graceful)
        return len(clients)


def serve_connection(client: WebSocketClient, rfile: BinaryIO) -> None:
    """Read client frames until the connection ends (bounded by the peer or ``close()``).

    Pings get pongs, a close frame gets the closing handshake, data frames are ignored.
    """
    while not client.closed:
        try:
            frame = read_frame(rfile)
        except ValueError:
            client.close(CLOSE_TOO_BIG, "frame too large")
            return
        except OSError:
            return
        if frame is None:
            return
        opcode, payload = frame
        if opcode == OP_PING:
            client.send(payload[:125], OP_PONG)
        elif opcode == OP_CLOSE:
            code = payload[:2] if len(payload) >= 2 else struct.pack("!H", CLOSE_NORMAL)
            client.send(code, OP_CLOSE)
            client.closed = True
            return
        elif opcode > OP_BINARY and opcode not in (OP_PONG,):
            client.close(CLOSE_PROTOCOL_ERROR, "unknown opcode")
            return


# ------------------------------------------------------------------ Plex timeline messages
def timeline_entry(*, section_id: int | str, item_id: str, item_type: int, title: str,
                   state: int, updated_at: int, metadata_state: str | None = None,
                   media_state: str | None = None) -> dict:
    """One ``TimelineEntry`` as Plex sends it (``itemID``/``sectionID`` are strings,
    ``type``/``state`` integers: 8 artist, 9 album, 10 track; 0 created ... 5 done, 9 deleted)."""
    entry: dict = {
        "identifier": "com.plexapp.plugins.library",
        "sectionID": str(section_id),
        "itemID": str(item_id),
        "type": item_type,
        "title": title,
        "state": state,
    }
    if metadata_state:
        entry["metadataState"] = metadata_state
    if media_state:
        entry["mediaState"] = media_state
    entry["updatedAt"] = updated_at
    return entry


def timeline_message(entries: Iterable[dict]) -> str:
    """A ``NotificationContainer`` of type ``timeline``, as read by plexapi's AlertListener."""
    items = list(entries)
    return json.dumps({"NotificationContainer": {"type": "timeline", "size": len(items),
                                                 "TimelineEntry": items}},
                      separators=(",", ":"), ensure_ascii=False)
