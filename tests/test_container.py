"""The image, built and run the way a self-hoster runs it (podman or docker, whichever works).

The image is built once per session (`scripts/build-image.sh`, layer cache kept); `make test` starts
that build in the background before the linters and the tests here wait for it. Containers reach
the simulated Plex on the host through ``--network=host`` and bind 127.0.0.1 only, on a free port,
which also proves the health check probes the port the app really listens on. Where no container
engine can run, every test here is skipped with the reason (pytest -ra prints it).

Podman without systemd runs no health-check timer, so `podman healthcheck run` executes the
image's HEALTHCHECK here, and the state it records is what `podman inspect` then shows.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests

from plugin import __version__
from tests.conftest import AUDIOBOOKS
from tests.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
# a tag per checkout: two worktrees testing at once do not build over each other's image
IMAGE = os.environ.get("PLEXBOOKS_TEST_IMAGE") or (
    "localhost/plexbooks:test-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8])
API_KEY = "container-api-key-" + uuid.uuid4().hex
WEBHOOK_SECRET = "container-webhook-" + uuid.uuid4().hex
PLEX_TOKEN = "container-plex-token-" + uuid.uuid4().hex
TIMINGS: dict[str, float] = {}


def _report(name: str, seconds: float) -> None:
    """Keep a measured time: `pytest --cache-show 'plexbooks/*'` prints the last run's."""
    TIMINGS[name] = round(seconds, 2)
    sys.stderr.write(f"\n[container] {name}: {seconds:.2f} s\n")


@pytest.fixture(scope="session", autouse=True)
def _keep_timings(request) -> Iterator[None]:
    yield
    if TIMINGS:
        cache = getattr(request.config, "cache", None)      # absent with -p no:cacheprovider
        if cache is not None:
            cache.set("plexbooks/container_timings", TIMINGS)


# -- the engine and the image -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def engine() -> str:
    probe = subprocess.run([str(ROOT / "scripts/container-engine.sh")], capture_output=True, text=True,
                           timeout=900)
    if probe.returncode != 0:
        pytest.skip("NO CONTAINER ENGINE CAN RUN HERE, the container tests did not run: "
                    + (probe.stderr.strip().splitlines() or ["?"])[-1])
    return probe.stdout.strip()


@pytest.fixture(scope="session")
def image(engine) -> str:
    started = time.monotonic()
    background = os.environ.get("PLEXBOOKS_TEST_IMAGE_BUILD")
    if background and (Path(background) / "log").exists():
        # `make test` started the build before the linters (scripts/build-image-background.sh)
        status = Path(background) / "status"
        wait_for(status.exists, 1200, 1.0, f"the image build in the background ({background}/log)")
        log = (Path(background) / "log").read_text(errors="replace")
        assert status.read_text().strip() == "0", log[-6000:]
        _report("waited for the image build (started by make test before the linters)", time.monotonic() - started)
    else:
        build = subprocess.run([str(ROOT / "scripts/build-image.sh"), IMAGE], capture_output=True, text=True,
                               timeout=1200, cwd=ROOT)
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        _report("image build (cached layers where unchanged)", time.monotonic() - started)
    # by id: whatever is tagged later, this session runs the image it built
    return _engine(engine, "image", "inspect", "--format={{.Id}}", IMAGE).stdout.strip()


def _engine(engine: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([engine, *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{engine} {' '.join(args)}: {result.stderr.strip()}")
    return result


class Container:
    """One container of the image, removed at the end of the test."""

    def __init__(self, engine: str, image: str, name: str):
        self.engine, self.image, self.name = engine, image, name

    def run(self, *options: str, env: dict[str, str]) -> "Container":
        env_args = [f"--env={k}={v}" for k, v in env.items()]
        _engine(self.engine, "run", "--detach", f"--name={self.name}", *options, *env_args, self.image)
        return self

    def inspect(self) -> dict:
        return json.loads(_engine(self.engine, "inspect", self.name).stdout)[0]

    def state(self) -> dict:
        return self.inspect()["State"]

    def logs(self) -> str:
        result = _engine(self.engine, "logs", self.name, check=False)
        return result.stdout + result.stderr

    def exec(self, *command: str) -> str:
        return _engine(self.engine, "exec", self.name, *command).stdout

    def health(self) -> str:
        """The health the engine records ("starting", "healthy", "unhealthy")."""
        state = self.state()
        return (state.get("Health") or state.get("Healthcheck") or {}).get("Status", "")

    def healthy(self) -> bool:
        if self.engine == "podman":
            _engine(self.engine, "healthcheck", "run", self.name, check=False, timeout=30)
        return self.health() == "healthy"

    def wait_healthy(self, timeout: float = 90) -> float:
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not self.state().get("Running"):
                raise AssertionError(f"container exited before it was healthy:\n{self.logs()[-3000:]}")
            if self.healthy():
                return time.monotonic() - started
            time.sleep(0.5)
        raise AssertionError(f"not healthy within {timeout} s:\n{self.logs()[-3000:]}")

    def stop(self, timeout: int = 10) -> float:
        started = time.monotonic()
        _engine(self.engine, "stop", f"--time={timeout}", self.name, timeout=timeout + 30)
        return time.monotonic() - started

    def remove(self) -> None:
        _engine(self.engine, "rm", "--force", "--time=0", self.name, check=False)


@pytest.fixture
def containers(engine, image) -> Iterator:
    made: list[Container] = []

    def make() -> Container:
        container = Container(engine, image, f"plexbooks-test-{uuid.uuid4().hex[:10]}")
        made.append(container)
        return container

    yield make
    for container in made:
        container.remove()


# -- what a self-hoster gives the container ---------------------------------------------------------------
@pytest.fixture
def plex(plex_factory):
    return plex_factory(books=20, token=PLEX_TOKEN)


@pytest.fixture
def secrets_dir(tmp_path) -> Path:
    """Secrets as files (docker/podman secrets, compose `secrets:`): never in the environment."""
    path = tmp_path / "secrets"
    path.mkdir()
    for name, value in {"plex_token": PLEX_TOKEN, "api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}.items():
        (path / name).write_text(value + "\n")
        (path / name).chmod(0o600)
    return path


def host_network_env(plex, port: int, **extra: str) -> dict[str, str]:
    return {"PLEXBOOKS_HOST": "127.0.0.1", "PLEXBOOKS_PORT": str(port), "PLEXBOOKS_WEB_WORKERS": "1",
            "PLEXBOOKS_PLEX_URL": plex.url, "PLEXBOOKS_PLEX_LIBRARY": AUDIOBOOKS,
            "PLEXBOOKS_SCAN_DETAILS_LIMIT": "0", "PLEXBOOKS_WEBSOCKET_ENABLED": "false",
            "FILE__PLEXBOOKS_PLEX_TOKEN": "/run/secrets/plex_token",
            "FILE__PLEXBOOKS_API_KEY": "/run/secrets/api_key",
            "FILE__PLEXBOOKS_WEBHOOK_SECRET": "/run/secrets/webhook_secret", **extra}


def api(port: int) -> requests.Session:
    session = requests.Session()
    session.headers["X-Api-Key"] = API_KEY
    session.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    return session


def _get(session: requests.Session, path: str) -> dict:
    response = session.get(session.base + path, timeout=10)  # type: ignore[attr-defined]
    response.raise_for_status()
    return response.json()


def _request_status(session: requests.Session, request_id: int) -> str:
    return _get(session, f"/api/v1/requests/{request_id}")["status"]


def _scans_done(session: requests.Session) -> bool:
    """The worker's start-up scan has run and none is running or queued (a container is healthy while
    it still scans)."""
    scans = [r for r in _get(session, "/api/v1/jobs/runs?limit=20")["items"] if r["job"] == "full_scan"]
    return bool(scans) and all(r["status"] not in ("running", "queued") for r in scans)


def _clean(log: str) -> None:
    for bad in ("Traceback", " ERROR ", "CRITICAL", "killing it", "[ERROR]"):
        assert bad not in log, f"{bad!r} in the log:\n{log[-4000:]}"


# -- the tests -------------------------------------------------------------------------------------
def test_image_labels_version_and_healthcheck(engine, image):
    inspected = json.loads(_engine(engine, "image", "inspect", image).stdout)[0]
    config = inspected["Config"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.title"] == "plexbooks"
    assert "8787/tcp" in config["ExposedPorts"] and "/config" in config["Volumes"]
    assert config["Entrypoint"][0] == "/usr/bin/tini"
    healthcheck = config.get("Healthcheck") or inspected["Healthcheck"]   # docker / podman
    assert "healthcheck" in " ".join(healthcheck["Test"])


def test_healthy_as_the_puid_given_with_tz_and_a_published_port(containers, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "left-by-root").write_text("x")
    port = free_port()
    container = containers().run(f"--volume={config}:/config", f"--publish=127.0.0.1:{port}:8787",
                                 env={"PUID": "1234", "PGID": "2345", "TZ": "Europe/Berlin",
                                      "PLEXBOOKS_API_KEY": API_KEY})
    _report("time to healthy (default bridge network, fresh /config)", container.wait_healthy())
    assert container.health() == "healthy"
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}

    # every process but tini (PID 1) runs as 1234:2345
    processes = container.exec("sh", "-c", "for s in /proc/[0-9]*/status; do "
                               "echo $(grep -E '^(Name|Uid|Gid):' $s | awk '{print $2}'); done")
    rows = [line.split() for line in processes.splitlines() if line.strip()]
    assert any(name.startswith("python") or name.startswith("plexbooks") or name == "gunicorn"
               for name, *_ in rows), rows
    for name, uid, gid in rows:
        if name in ("tini", "sh", "grep", "awk"):
            continue
        assert (uid, gid) == ("1234", "2345"), rows
    for entry in [config, *config.iterdir()]:
        assert (entry.stat().st_uid, entry.stat().st_gid) == (1234, 2345), entry
    assert {"plexbooks.db", "secret.key", "client_identifier"} <= {p.name for p in config.iterdir()}
    assert container.exec("date", "+%Z").strip() in ("CET", "CEST")


def test_scan_and_webhook_turn_requests_available_and_data_survives_a_new_container(
        containers, plex, tmp_path, secrets_dir, engine, image):
    config = tmp_path / "config"
    config.mkdir()
    port = free_port()
    options = ("--network=host", f"--volume={config}:/config", f"--volume={secrets_dir}:/run/secrets:ro")
    env = host_network_env(plex, port)
    first = containers().run(*options, env=env)
    _report("time to healthy (host network, first start with a scan)", first.wait_healthy())
    session = api(port)
    # healthy means serving, not done with the start-up scan: a scan asked for meanwhile would be refused
    # as already running
    wait_for(lambda: _scans_done(session), 60, 0.2, "the start-up scan done")

    # a full scan makes a request available
    scanned = session.post(f"{session.base}/api/v1/requests", timeout=10,  # type: ignore[attr-defined]
                           json={"title": "The Word for World Is Forest", "author": "Ursula K. Le Guin",
                                 "status": "downloaded"}).json()
    plex.catalogue.add_album("The Word for World Is Forest", "Ursula K. Le Guin")   # no notification at all
    run = session.post(f"{session.base}/api/v1/jobs/full_scan/run", timeout=10)   # type: ignore[attr-defined]
    assert run.status_code == 202, run.text
    wait_for(lambda: _request_status(session, scanned["id"]) == "available", 60, 0.5, "available by the scan")

    # a webhook from Plex makes another one available
    hooked = session.post(f"{session.base}/api/v1/requests", timeout=10,  # type: ignore[attr-defined]
                          json={"title": "The Lathe of Heaven", "author": "Ursula K. Le Guin",
                                "status": "downloaded"}).json()
    plex.set_webhook_urls([f"http://127.0.0.1:{port}/webhooks/plex/{WEBHOOK_SECRET}"])
    plex.add_album("The Lathe of Heaven (Unabridged)", "Ursula K. Le Guin")
    wait_for(lambda: _request_status(session, hooked["id"]) == "available", 30, 0.2, "available by the webhook")
    assert _get(session, "/api/v1/status")["webhook"]["last_received_at"]

    # a command run through the entrypoint sees the same settings, as the same user
    status = json.loads(first.exec("python", "-m", "plugin.container", "plexbooks", "status", "--json"))
    assert status["configured"]["plex_token"] is True and status["counts"]["requests_by_status"] == {"available": 2}
    assert not [p for p in config.rglob("*") if p.stat().st_uid != 1000]

    # docker stop: quick, exit 0, a clean log
    stopped_in = first.stop()
    _report("stop (SIGTERM to exit)", stopped_in)
    assert stopped_in < 5
    assert first.state()["ExitCode"] == 0
    log = first.logs()
    _clean(log)
    assert "run: stopped" in log and "worker: stopped" in log

    # no secret in what `inspect` and `history` show
    key = (config / "secret.key").read_text().strip()
    shown = (json.dumps(first.inspect()) + _engine(engine, "image", "inspect", image).stdout
             + _engine(engine, "history", "--no-trunc", image).stdout)
    for secret in (PLEX_TOKEN, API_KEY, WEBHOOK_SECRET, key):
        assert secret not in shown
    for secret in (PLEX_TOKEN, WEBHOOK_SECRET, key):
        assert secret not in log

    # a new container on the same /config: same data, same identity
    client_id = (config / "client_identifier").read_text()
    first.remove()
    second = containers().run(*options, env=env)
    second.wait_healthy()
    assert {r["id"]: r["status"] for r in _get(session, "/api/v1/requests")["items"]} == {
        scanned["id"]: "available", hooked["id"]: "available"}
    assert (config / "client_identifier").read_text() == client_id
    assert (config / "secret.key").read_text().strip() == key
    assert _get(session, "/api/v1/library?limit=1")["total"] == 22


def test_read_only_and_a_killed_worker_is_restarted_then_the_container_exits_1(containers, plex, tmp_path,
                                                                               secrets_dir):
    config = tmp_path / "config"
    config.mkdir()
    port = free_port()
    env = host_network_env(plex, port, PLEXBOOKS_WORKER_MAX_RESTARTS="1")
    container = containers().run("--read-only", "--tmpfs=/tmp", "--network=host", f"--volume={config}:/config",
                                 f"--volume={secrets_dir}:/run/secrets:ro", env=env)
    container.wait_healthy()
    session = api(port)
    assert (config / "plexbooks.db").is_file()
    assert container.exec("sh", "-c", "touch /opt/x 2>&1 || echo read-only").strip().endswith("read-only")

    def worker_pid(other_than: int | None = None) -> int | bool:
        worker = _get(session, "/api/v1/jobs")["worker"] or {}
        return worker.get("alive") and worker.get("pid") != other_than and worker["pid"]

    first = wait_for(worker_pid, 30, 0.5, "worker")
    container.exec("sh", "-c", f"kill -9 {first}")
    wait_for(lambda: "the worker died (killed by signal 9); restarting it" in container.logs(), 10, 0.2,
             "the supervisor noticing")
    second = wait_for(lambda: worker_pid(other_than=first), 60, 0.5, "a restarted worker")
    assert container.healthy()

    container.exec("sh", "-c", f"kill -9 {second}")      # more deaths than allowed: the engine must act
    wait_for(lambda: not container.state()["Running"], 30, 0.5, "the container to exit")
    assert container.state()["ExitCode"] == 1
    assert "giving up so the container restarts" in container.logs()
