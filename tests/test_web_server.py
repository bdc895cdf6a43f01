"""`plexbooks serve` as browsers meet it: connections opened ahead of need and left idle, or a
client that sends half a request and stalls, must not hold up everybody else's requests."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.conftest import API_KEY, environment
from tests.processes import Proc, free_port, wait_http


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = environment(tmp_path / "data", None, PLEXBOOKS_PORT=str(port), PLEXBOOKS_WEB_WORKERS="1",
                      PLEXBOOKS_WEB_THREADS="4")
    proc = Proc(["serve"], env, tmp_path / "web.log")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        yield base, port
    finally:
        proc.stop()


def test_idle_and_stalled_connections_do_not_block_other_requests(server):
    base, port = server
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]   # preconnects
    stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
    stalled.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")               # never finished
    try:
        started = time.monotonic()
        for _ in range(5):
            answer = requests.get(f"{base}/api/v1/status", headers={"X-Api-Key": API_KEY}, timeout=10)
            assert answer.status_code == 200
        # one worker process: with a worker per connection these requests would wait for the idle
        # sockets to time out (tens of seconds); threaded, they are answered at once
        assert time.monotonic() - started < 8
    finally:
        for sock in (*idle, stalled):
            sock.close()
