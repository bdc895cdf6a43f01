"""The database failing under plexbooks: SQLite's disk full (a small tmpfs), SQLite locked by
another process past the busy timeout, PostgreSQL restarted under a running worker. Each time
the run or the answer says what happened, the mirror is intact, and everything works again
by itself once the fault ends."""
from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from plugin import state
from plugin.models import JobRun, LibraryItem
from tests.conftest import API_KEY, environment
from tests.internals import full_scan
from tests.processes import Proc, wait_for

SECRET = "db-fault-secret-012345"


def _client(runtime):
    from plugin.web import create_app
    return create_app(runtime, {"TESTING": True}).test_client()


def _hook(client, plex, rating_key: str):
    return client.post(f"/webhooks/plex/{SECRET}", json={
        "event": "library.new", "Server": {"uuid": plex.machine_identifier},
        "Metadata": {"librarySectionID": "3", "type": "album", "ratingKey": rating_key}})


def _items(runtime) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(LibraryItem))


@pytest.fixture
def small_disk(tmp_path):
    """A 700 KB tmpfs: room for the schema and a little, not for a 3,000-album scan."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"DISK-FULL TEST NOT RUN: cannot mount a small tmpfs here ({mounted.stderr.strip()}); "
                    "it needs root (CI runs as root)")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.databases("sqlite")
def test_sqlite_disk_full_fails_cleanly_then_recovers(small_disk, make_runtime, plex_factory, tmp_path):
    from plugin.runtime import Runtime
    plex = plex_factory(books=3000, seed=5)
    runtime = Runtime(environment(small_disk / "data", plex, PLEXBOOKS_WEBHOOK_SECRET=SECRET))
    try:
        state.remember_machine_identifier(runtime, plex.machine_identifier)
        client = _client(runtime)
        summary = full_scan(runtime)
        assert summary["status"] == "failed" and summary["error_class"] == "database_full", summary
        assert "disk is full" in summary["error"]
        assert _items(runtime) == 0                                     # nothing half-written
        status = client.get("/api/v1/status", headers={"X-Api-Key": API_KEY}).get_json()
        assert status["last_scan"]["error_class"] == "database_full"
        # a webhook on a full disk is refused honestly (or still fits): never a 500
        hook = _hook(client, plex, next(iter(plex.catalogue.ordered())).rating_key)
        assert hook.status_code in (202, 503), hook.get_json()
        if hook.status_code == 503:
            assert hook.get_json()["error"]["code"] == "database_full"
        # the fault ends: the disk grows; the next scan (the scheduler's) completes
        subprocess.run(["mount", "-o", "remount,size=128m", str(small_disk)], check=True)
        again = full_scan(runtime)
        assert again["status"] == "ok", again
        assert _items(runtime) == 3000
    finally:
        runtime.dispose()


@pytest.mark.databases("sqlite")
def test_sqlite_locked_past_the_busy_timeout_then_recovers(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_DATABASE_BUSY_TIMEOUT="0.3", PLEXBOOKS_WEBHOOK_SECRET=SECRET)
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    assert full_scan(runtime)["status"] == "ok"
    before = _items(runtime)
    client = _client(runtime)
    album = plex.catalogue.add_album("Locked Out", "Busy Author")
    other = create_engine(runtime.database_url, connect_args={"timeout": 0.3})
    conn = other.raw_connection()
    try:
        conn.execute("BEGIN EXCLUSIVE")                       # another process holds the write lock
        hook = _hook(client, plex, album.rating_key)
        assert hook.status_code == 503 and hook.get_json()["error"]["code"] == "database_locked", hook.get_json()
        with pytest.raises(Exception) as raised:               # cannot even record that a scan started
            full_scan(runtime)
        from plugin.db import database_failure
        assert database_failure(raised.value)[0] == "database_locked"
        health = client.get("/healthz")                        # readers still read (WAL)
        assert health.status_code == 200
    finally:
        conn.rollback()
        conn.close()
        other.dispose()
    # the lock is gone: the same webhook is taken, the next scan completes
    assert _hook(client, plex, album.rating_key).status_code == 202
    assert full_scan(runtime)["status"] == "ok"
    assert _items(runtime) == before + 1


@pytest.mark.databases("postgres")
def test_postgresql_restarted_under_a_running_worker(tmp_path, plex_factory):
    from tests.postgres import PostgresServer, new_database
    server = PostgresServer()
    server_url = server.start()
    plex = plex_factory(books=20)
    env = environment(tmp_path / "data", plex, DATABASE_URL=new_database(server_url),
                      PLEXBOOKS_WEBSOCKET_ENABLED="false")
    worker = Proc(["worker"], env, tmp_path / "worker.log")
    engine = create_engine(env["DATABASE_URL"], pool_pre_ping=True)
    try:
        def runs(status: str) -> int:
            try:
                with engine.connect() as conn:
                    return conn.execute(select(func.count()).select_from(JobRun)
                                        .where(JobRun.status == status)).scalar()
            except Exception:  # noqa: BLE001 - the server is restarting
                return 0

        wait_for(lambda: runs("ok") >= 1, 60, 0.2, "the start-up scan")
        server._run(server_bin("pg_ctl"), "-D", f"{server.dir}/data", "-m", "fast", "-w", "restart",
                    "-o", _opts(server))
        time.sleep(1.0)
        engine.dispose()
        assert worker.popen.poll() is None, worker.log()[-2000:]      # it did not give up
        # it acts again: a run asked for after the restart is carried out
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO job_runs (job, trigger, status, started_at) "
                              "VALUES ('full_scan', 'api', 'queued', now())"))
        wait_for(lambda: runs("ok") >= 2, 60, 0.2, "a run after the restart")
        assert "Traceback" not in worker.log(), worker.log()[-3000:]
    finally:
        worker.stop()
        engine.dispose()
        server.stop()


def server_bin(name: str) -> str:
    from tests.postgres import _bin
    found = _bin(name)
    assert found
    return found


def _opts(server) -> str:
    return (f"-p {server.port} -k {server.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200")
