"""`plexbooks run` as the container runs it, outside a container: a dead worker is restarted with
backoff, then given up on with a non-zero exit; /healthz never says ok while no worker runs; a stop
is quick and clean."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest
import requests

from plugin import state
from plugin.runtime import Runtime
from plugin.state import WORKER as STATE_WORKER
from plugin.state import worker_state
from tests.conftest import environment
from tests.processes import Proc, free_port, wait_for, wait_http


@pytest.fixture
def plex(plex_factory):
    return plex_factory(books=10)


@pytest.fixture
def procs():
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def _alive_worker_pid(runtime: Runtime, other_than: int | None = None) -> int | bool:
    state = worker_state(runtime) or {}
    pid = state.get("pid")
    return pid if state.get("alive") and pid and pid != other_than else False


def _health(base: str) -> int:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code
    except requests.RequestException:
        return 0


def test_a_killed_worker_is_restarted_then_given_up_on_with_exit_1(tmp_path, plex, procs):
    port = free_port()
    env = environment(tmp_path / "data", plex, PLEXBOOKS_PORT=str(port), PLEXBOOKS_WEB_WORKERS="1",
                      PLEXBOOKS_WORKER_MAX_RESTARTS="1", PLEXBOOKS_WEBSOCKET_ENABLED="false")
    runtime = Runtime(env)
    proc = Proc(["run"], env, tmp_path / "run.log")
    procs.append(proc)
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/healthz", 60)          # 200 only once the worker sends its heartbeat
    first = wait_for(lambda: _alive_worker_pid(runtime), 30, what="worker")

    os.kill(first, signal.SIGKILL)
    wait_for(lambda: "the worker died (killed by signal 9); restarting it in 1 s" in proc.log(), 10,
             what="the supervisor noticing the dead worker")
    second = wait_for(lambda: _alive_worker_pid(runtime, other_than=first), 30, what="a restarted worker")
    assert proc.popen.poll() is None
    assert _health(base) == 200

    os.kill(second, signal.SIGKILL)           # one restart allowed: this death is one too many
    code = proc.popen.wait(15)
    assert code == 1
    log = proc.log()
    assert "giving up so the container restarts" in log
    assert _health(base) == 0                 # the web server went down with it: nothing half-alive
    assert "Traceback" not in log
    runtime.dispose()


def test_healthz_is_503_while_no_worker_runs(make_runtime):
    from plugin.web import create_app
    runtime = make_runtime(PLEXBOOKS_HEALTH_REQUIRES_WORKER="true")
    client = create_app(runtime, {"TESTING": True}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unhealthy", "worker": "not started"}

    def beat(age_s: float, stopped: bool = False) -> None:
        state.put(runtime, STATE_WORKER, json.dumps({"pid": 1, "heartbeat_at": time.time() - age_s,
                                                    "stopped": stopped}))
    beat(1)
    assert client.get("/healthz").status_code == 200
    beat(60)                                  # a worker that stopped sending its heartbeat
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["worker"] == "stopped"
    beat(0, stopped=True)                     # a worker that stopped cleanly
    assert client.get("/healthz").status_code == 503


def test_healthz_of_a_web_server_alone_does_not_ask_for_a_worker(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_run_stops_in_under_5_s_with_a_clean_log(tmp_path, plex, procs):
    port = free_port()
    env = environment(tmp_path / "data", plex, PLEXBOOKS_PORT=str(port), PLEXBOOKS_WEB_WORKERS="2")
    runtime = Runtime(env)
    proc = Proc(["run"], env, tmp_path / "run.log")
    procs.append(proc)
    wait_http(f"http://127.0.0.1:{port}/healthz", 60)
    wait_for(lambda: _alive_worker_pid(runtime), 30, what="worker")
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)        # the supervisor alone, as tini forwards docker stop's signal
    assert proc.popen.wait(10) == 0
    assert time.monotonic() - started < 5
    log = proc.log()
    assert "run: SIGTERM received, stopping" in log and log.rstrip().endswith("run: stopped")
    assert "Traceback" not in log and "killing it" not in log
    runtime.dispose()


def test_a_dead_web_server_stops_the_worker_and_exits_1(tmp_path, plex, procs):
    port = free_port()
    env = environment(tmp_path / "data", plex, PLEXBOOKS_PORT=str(port), PLEXBOOKS_WEB_WORKERS="1",
                      PLEXBOOKS_WEBSOCKET_ENABLED="false")
    runtime = Runtime(env)
    proc = Proc(["run"], env, tmp_path / "run.log")
    procs.append(proc)
    wait_http(f"http://127.0.0.1:{port}/healthz", 60)
    worker = wait_for(lambda: _alive_worker_pid(runtime), 30, what="worker")
    web = int(proc.log().split("started the web server (pid ")[1].split(")")[0])
    os.kill(web, signal.SIGKILL)
    assert proc.popen.wait(15) == 1
    assert "the web server exited (code -9); stopping" in proc.log()
    wait_for(lambda: not os.path.exists(f"/proc/{worker}") or open(f"/proc/{worker}/stat").read().split()[2] == "Z",
             10, what="the worker stopped too")
    runtime.dispose()
