"""Starting plexbooks commands as real processes for the tests that need them.

Each command is forked from one server per pytest process that imported plexbooks once
(`tests/forkserver.py`, which says why); ``PLEXBOOKS_TEST_EXEC=1`` runs ``python -m plugin``
for each instead.
"""
from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

import requests

EXEC = os.environ.get("PLEXBOOKS_TEST_EXEC") == "1"


class Process(Protocol):
    """What the tests use of a started command (``subprocess.Popen`` has it too)."""
    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...


class Forked:
    """A command forked by the fork server: a process of its own, not a child of this one,
    so its end is learnt from the server (which reaps it)."""

    def __init__(self, server: "_ForkServer", pid: int, generation: int, args: list[str]):
        self._server = server
        self.pid = pid
        self._key = (pid, generation)
        self.args = args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self._key, 0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self._key, timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.returncode


class _ForkServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.forkserver"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.ids = itertools.count(1)
        self.changed = threading.Condition()
        self.started: dict[int, dict] = {}
        # pids come back into use: an exit belongs to the pid's latest start (the server reports
        # a child's start before its exit, and the exit before the pid's next start)
        self.generations: dict[int, int] = {}
        self.exits: dict[tuple[int, int], int] = {}
        self.write_lock = threading.Lock()
        first = self.proc.stdout.readline() if self.proc.stdout else b""
        if not first.startswith(b'{"ready"'):
            raise RuntimeError(f"the fork server did not start: {first!r}")
        threading.Thread(target=self._read, name="forkserver-replies", daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            message = json.loads(line)
            with self.changed:
                if "exit" in message:
                    pid = message["exit"]
                    self.exits[(pid, self.generations.get(pid, 0))] = message["code"]
                else:
                    if "pid" in message:
                        message["generation"] = self.generations[message["pid"]] = \
                            self.generations.get(message["pid"], 0) + 1
                    self.started[message["id"]] = message
                self.changed.notify_all()

    def start(self, args: list[str], env: dict[str, str], stdout: Path, stderr: Path | None = None,
              stdin: Path | None = None) -> Forked:
        request_id = next(self.ids)
        request = {"id": request_id, "args": args, "env": env, "stdout": str(stdout),
                   "stderr": str(stderr) if stderr else None, "stdin": str(stdin) if stdin else None}
        with self.write_lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        with self.changed:
            if not self.changed.wait_for(lambda: request_id in self.started, 60):
                raise RuntimeError("the fork server did not answer within 60 s")
            answer = self.started.pop(request_id)
        if "error" in answer:
            raise RuntimeError(f"the fork server could not start plexbooks {args}: {answer['error']}")
        return Forked(self, answer["pid"], answer["generation"], args)

    def exit_code(self, key: tuple[int, int], timeout: float | None) -> int | None:
        with self.changed:
            self.changed.wait_for(lambda: key in self.exits, timeout)
            return self.exits.get(key)


_server: _ForkServer | None = None
_server_lock = threading.Lock()


def _fork_server() -> _ForkServer:
    global _server
    with _server_lock:
        if _server is None or _server.proc.poll() is not None:
            _server = _ForkServer()
        return _server


def start_plexbooks(args: list[str], env: dict[str, str], stdout: Path, stderr: Path | None = None,
                    stdin: Path | None = None, *, fork: bool = True) -> Process:
    """``plexbooks ARGS`` as a process of its own, in a new session, with ``env`` added to this
    process's environment and its output appended to the given files. ``fork=False``: started
    with ``python -m plugin``, as a user starts it."""
    full_env = {**os.environ, **env}
    if fork and not EXEC:
        return _fork_server().start(args, full_env, stdout, stderr, stdin)
    out = open(stdout, "ab")
    err = open(stderr, "ab") if stderr else None
    inp = open(stdin, "rb") if stdin else subprocess.DEVNULL
    try:
        return subprocess.Popen([sys.executable, "-m", "plugin", *args], env=full_env, stdin=inp, stdout=out,
                                stderr=err or subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()
        if err:
            err.close()
        if not isinstance(inp, int):
            inp.close()


def run_plexbooks(args: list[str], env: dict[str, str], *, input: str | None = None, timeout: float = 120,
                  fork: bool = True) -> subprocess.CompletedProcess:
    """``plexbooks ARGS`` run to its end, like ``subprocess.run(..., capture_output=True, text=True)``."""
    with tempfile.TemporaryDirectory(prefix="plexbooks-cli-") as scratch:
        out, err, inp = Path(scratch, "stdout"), Path(scratch, "stderr"), Path(scratch, "stdin")
        inp.write_text(input or "")
        process = start_plexbooks(args, env, out, err, inp, fork=fork)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            raise
        return subprocess.CompletedProcess(["plexbooks", *args], code, out.read_text(errors="replace"),
                                           err.read_text(errors="replace"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A long-running command (worker, web server, supervisor) with its output in ``log``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log_path = log
        self.popen = start_plexbooks(args, env, log)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill9(self) -> None:
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(5)


def wait_for(check: Callable[[], object], timeout: float = 15.0, interval: float = 0.05, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what or check}")


def wait_http(url: str, timeout: float = 30.0) -> None:
    def up() -> bool:
        try:
            return requests.get(url, timeout=1).ok
        except requests.RequestException:
            return False
    wait_for(up, timeout, 0.1, url)
