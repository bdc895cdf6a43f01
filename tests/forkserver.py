"""The process the tests' plexbooks commands are forked from (`python -m tests.forkserver`).

`make test` starts about 190 plexbooks processes (workers killed at random moments, web servers,
supervisors, one-off commands). Started with `python -m plugin`, each spends a second or more of
CPU importing SQLAlchemy, Flask and plexbooks before it does anything: on a 2-core machine that is
minutes of the suite. This server imports them once; each command is then a fork of it that runs
``plugin.cli.main`` exactly as ``python -m plugin`` does: a process of its own with its own
session (so a test can kill its whole group), environment, working files and exit code. Nothing
here replaces plexbooks code. ``PLEXBOOKS_TEST_EXEC=1`` starts every command with ``python -m
plugin`` instead; the container tests and `make demo` always do.

Protocol, one JSON object per line. The test process writes requests on stdin::

    {"id": 1, "args": ["worker"], "env": {...}, "stdout": PATH, "stderr": PATH|null, "stdin": PATH|null}

and reads ``{"id": 1, "pid": N}`` once the child runs in its own session, ``{"exit": N, "code": C}``
when it ends (C as ``subprocess``' returncode: negative for a signal), ``{"id": 1, "error": TEXT}``
when it could not be started. End of stdin ends the server; children keep running.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import traceback
from typing import Any, NoReturn


def _preload() -> None:
    import plugin.__main__  # noqa: F401
    import plugin.accounts  # noqa: F401
    import plugin.rotation  # noqa: F401
    import plugin.supervisor  # noqa: F401
    import plugin.sync  # noqa: F401
    from plugin.cli import import_commands
    import_commands("serve", "worker")
    # prometheus-client picks its storage (in memory, or the multiprocess directory a process's
    # environment names) when it is imported: each command must import it itself
    assert "prometheus_client" not in sys.modules, "preloading imported prometheus_client"


def _child(request: dict[str, Any], private: tuple[int, ...], ready: int) -> NoReturn:
    code = 1
    try:
        os.setsid()
        for fd in private:
            os.close(fd)
        stdin = os.open(request.get("stdin") or os.devnull, os.O_RDONLY)
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if request.get("stderr") else out
        for source, target in ((stdin, 0), (out, 1), (err, 2)):
            os.dup2(source, target)
        for fd in {stdin, out, err}:
            os.close(fd)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.modules["plugin.__main__"].__file__, *request["args"]]
        os.write(ready, b"1")
        os.close(ready)
        from plugin.cli import main
        try:
            code = main(request["args"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - what the interpreter would print for an uncaught exception
        traceback.print_exc()
    finally:
        try:
            import atexit
            import logging
            atexit._run_exitfuncs()
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _start(request: dict[str, Any], private: tuple[int, ...], children: set[int]) -> int:
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        _child(request, private, ready_w)
    children.add(pid)
    os.close(ready_w)
    try:
        if os.read(ready_r, 1) != b"1":
            raise RuntimeError("the child ended before it was ready")
    finally:
        os.close(ready_r)
    return pid


def serve() -> None:
    requests_fd, replies_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)                 # a stray print must not break the protocol
    private = (requests_fd, replies_fd)
    _preload()
    import threading
    assert threading.active_count() == 1, "a fork server must have no threads: " + repr(threading.enumerate())

    def reply(message: dict[str, Any]) -> None:
        os.write(replies_fd, (json.dumps(message) + "\n").encode())

    reply({"ready": os.getpid()})
    pending = b""
    children: set[int] = set()
    while True:
        readable, _, _ = select.select([requests_fd], [], [], 0.05 if children else 1.0)
        if readable:
            chunk = os.read(requests_fd, 1 << 16)
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                try:
                    reply({"id": request["id"], "pid": _start(request, private, children)})
                except Exception as exc:  # noqa: BLE001 - reported to the test that asked
                    reply({"id": request["id"], "error": repr(exc)})
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            reply({"exit": pid, "code": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve()
