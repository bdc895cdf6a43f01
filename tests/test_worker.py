"""The worker as a real process: one leader (SQLite file lock, PostgreSQL advisory lock),
kill -9 durability, run-now jobs, and the real-time paths end to end (webhook, websocket)."""
from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from plugin import state
from plugin.inbox import NewEvent, enqueue
from plugin.leader import LeaderLock
from plugin.models import AudiobookRequest, InboxEvent
from plugin.runtime import Runtime
from plugin.state import worker_state
from tests.conftest import API_KEY, environment
from tests.processes import Proc, free_port, wait_for, wait_http


@pytest.fixture
def plex(plex_factory):
    return plex_factory(books=20)


@pytest.fixture
def env(tmp_path, plex):
    return environment(tmp_path / "data", plex, PLEXBOOKS_LOG_LEVEL="INFO")


@pytest.fixture
def procs():
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def start(procs, tmp_path, env, *args, name="worker") -> Proc:
    proc = Proc(list(args or ["worker"]), env, tmp_path / f"{name}-{len(procs)}.log")
    procs.append(proc)
    return proc


def _request(runtime, title, author):
    with runtime.session() as s:
        req = AudiobookRequest(title=title, author=author, status="downloaded", search_attempts=1,
                               download_attempts=1, import_attempts=1)
        s.add(req)
        s.flush()
        return req.id


def _startup_scan_done(runtime) -> bool:
    from plugin.models import JobRun
    with runtime.session() as s:
        return s.scalar(select(JobRun.status).where(JobRun.trigger == "startup")) in ("ok", "failed")


def _status(runtime, request_id):
    with runtime.session() as s:
        return s.get(AudiobookRequest, request_id)


def test_leader_lock_admits_one(tmp_path, env):
    runtime = Runtime(env)
    first, second = LeaderLock(runtime.engine, runtime.data_dir), LeaderLock(runtime.engine, runtime.data_dir)
    assert first.try_acquire() and first.still_held()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()
    runtime.dispose()


def test_second_worker_waits_then_takes_over(tmp_path, env, procs):
    runtime = Runtime(env)
    one = start(procs, tmp_path, env)
    wait_for(lambda: (worker_state(runtime) or {}).get("pid") == one.pid, 30, what="first worker")
    two = start(procs, tmp_path, env)
    wait_for(lambda: "waiting" in two.log(), 30, what="second worker waiting")
    assert (worker_state(runtime) or {}).get("pid") == one.pid
    one.kill9()
    wait_for(lambda: (worker_state(runtime) or {}).get("pid") == two.pid, 30, what="takeover")
    runtime.dispose()


def test_kill_9_in_the_middle_loses_nothing_and_transitions_once(tmp_path, env, procs, plex):
    runtime = Runtime({**env, "PLEXBOOKS_WEBSOCKET_ENABLED": "false"})
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    request_id = _request(runtime, "The Left Hand of Darkness", "Ursula K. Le Guin")
    one = start(procs, tmp_path, {**env, "PLEXBOOKS_WEBSOCKET_ENABLED": "false"})
    wait_for(lambda: _startup_scan_done(runtime), 30, what="worker's start-up scan")
    album = plex.catalogue.add_album("The Left Hand of Darkness", "Ursula K. Le Guin")
    # Plex is slow to give the tracks: the worker will be in the middle of the event
    plex.set_failure("slow", count=None, path=f"/library/metadata/{album.rating_key}/children", seconds=30)
    enqueue(runtime, NewEvent("webhook", "library.new", "album", album.rating_key, "3"))

    def processing():
        with runtime.session() as s:
            return s.scalar(select(InboxEvent.status)) == "processing"
    wait_for(processing, 30, what="event in processing")
    one.kill9()
    assert _status(runtime, request_id).status == "downloaded"
    plex.clear_failures()
    two = start(procs, tmp_path, {**env, "PLEXBOOKS_WEBSOCKET_ENABLED": "false"})
    wait_for(lambda: _status(runtime, request_id).status == "available", 30, what="request available")

    def done():
        with runtime.session() as s:
            return s.scalar(select(InboxEvent.status)) == "done"
    wait_for(done, 30, what="event done after restart")
    logs = one.log() + two.log()
    assert logs.count('Match found! "The Left Hand of Darkness"') == 1
    runtime.dispose()


def test_run_now_queues_once_and_the_worker_runs_it(tmp_path, env, procs, plex):
    from plugin.web import create_app
    runtime = Runtime(env)
    client = create_app(runtime, {"TESTING": True}).test_client()
    headers = {"X-Api-Key": API_KEY}
    response = client.post("/api/v1/jobs/recently_added/run", headers=headers)
    assert response.status_code == 202
    run_id = response.get_json()["run_id"]
    again = client.post("/api/v1/jobs/recently_added/run", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["run_id"] == run_id
    assert client.post("/api/v1/jobs/nope/run", headers=headers).status_code == 404
    start(procs, tmp_path, env)

    def finished():
        body = client.get(f"/api/v1/jobs/runs/{run_id}", headers=headers).get_json()
        return body["status"] in ("ok", "failed") and body
    run = wait_for(finished, 60, 0.2, "queued run")
    assert run["status"] == "ok" and run["trigger"] == "api", run
    jobs = wait_for(lambda: (lambda b: b["worker"] and b["worker"]["alive"] and b)(
        client.get("/api/v1/jobs", headers=headers).get_json()), 30, 0.2, "worker state")
    by_name = {j["name"]: j for j in jobs["items"]}
    assert by_name["recently_added"]["every_s"] == 300 and by_name["full_scan"]["every_s"] == 6 * 3600
    assert by_name["recently_added"]["next_run"] and by_name["full_scan"]["last_run"]
    status = wait_for(lambda: (lambda b: b["websocket"]["connected"] and b)(
        client.get("/api/v1/status", headers=headers).get_json()), 30, 0.2, "websocket in status")
    assert status["worker"]["alive"] is True
    runtime.dispose()


@pytest.mark.parametrize("path", ["webhook", "websocket"])
def test_book_added_in_plex_makes_the_request_available_within_seconds(tmp_path, env, procs, plex, path):
    port = free_port()
    web_env = {**env, "PLEXBOOKS_PORT": str(port), "PLEXBOOKS_WEB_WORKERS": "2",
               "PLEXBOOKS_WEBHOOK_SECRET": "e2e-secret",
               "PLEXBOOKS_WEBSOCKET_ENABLED": "true" if path == "websocket" else "false"}
    runtime = Runtime(web_env)
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    start(procs, tmp_path, web_env, "serve", name="web")
    start(procs, tmp_path, web_env, "worker")
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/healthz")
    if path == "webhook":
        plex.set_webhook_urls([f"{base}/webhooks/plex/e2e-secret"])
    else:
        wait_for(lambda: (worker_state(runtime) or {}).get("websocket", {}).get("connected"), 30, what="websocket")
    wait_for(lambda: (worker_state(runtime) or {}).get("alive"), 30, what="worker")
    api = requests.Session()
    api.headers["X-Api-Key"] = API_KEY
    created = api.post(f"{base}/api/v1/requests", json={"title": "The Dispossessed", "author": "Ursula K. Le Guin",
                                                          "status": "downloaded"}).json()
    started = time.monotonic()
    plex.add_album("The Dispossessed (Unabridged)", "Ursula K. Le Guin", "Don Leslie")
    wait_for(lambda: api.get(f"{base}/api/v1/requests/{created['id']}").json()["status"] == "available", 20,
             0.05, "request available")
    assert time.monotonic() - started < 10
    with runtime.session() as s:
        sources = set(s.scalars(select(InboxEvent.source)))
    assert sources == {path}
    runtime.dispose()


def test_websocket_reconnects_after_plex_restarts(tmp_path, env, procs, plex, plex_factory):
    runtime = Runtime(env)
    start(procs, tmp_path, env)
    wait_for(lambda: (worker_state(runtime) or {}).get("websocket", {}).get("connected"), 30, what="connected")
    port = plex.port
    plex.stop()
    wait_for(lambda: not (worker_state(runtime) or {}).get("websocket", {}).get("connected"), 30, what="disconnect")
    plex_factory(books=20, port=port)
    state = wait_for(lambda: (lambda ws: ws.get("connected") and ws)((worker_state(runtime) or {}).get(
        "websocket", {})), 60, 0.2, "reconnected")
    assert state["reconnects"] >= 1
    runtime.dispose()


def test_run_starts_web_and_worker_and_stops_both(tmp_path, plex, procs):
    import os
    import signal
    port = free_port()
    env = environment(tmp_path / "data", plex, PLEXBOOKS_PORT=str(port), PLEXBOOKS_WEB_WORKERS="1")
    runtime = Runtime(env)
    proc = start(procs, tmp_path, env, "run", name="run")
    wait_http(f"http://127.0.0.1:{port}/healthz")
    state = wait_for(lambda: (lambda s: s and s.get("alive") and s)(worker_state(runtime)), 30, what="worker")
    worker_pid = state["pid"]
    os.kill(proc.pid, signal.SIGTERM)
    proc.popen.wait(30)

    def gone() -> bool:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{worker_pid}/stat") as handle:     # a zombie is gone too
            return handle.read().split()[2] == "Z"
    wait_for(gone, 30, what="worker stopped with the web process")
    runtime.dispose()
