"""`plexbooks run`: the web server and the worker as two child processes, watched.

The container's restart policy can only act on a process that exits, so this supervisor never
lets the container run half-alive:

- **The worker dies** (crash, out of memory, kill -9): it is started again after a backoff of
  1 s, 2 s, 4 s ... (at most 30 s). After ``worker_max_restarts`` deaths within ten minutes the
  supervisor gives up: it stops the web server and exits 1, and the engine restarts the container.
  Meanwhile the web server runs with ``health_requires_worker`` on, so ``/healthz`` answers 503
  while no worker sends its heartbeat.
- **The web server dies**: the worker is stopped and the supervisor exits 1.
- **SIGTERM or SIGINT** (``docker stop``, Ctrl-C): both children get SIGTERM; whatever still runs
  after ``STOP_GRACE_S`` (4 s) is killed, so a stop takes a few seconds at most even in the middle of a
  scan (scans write in one transaction and interrupted runs are recorded at the next start).
  Exit 0.

The children are forked from the supervisor, which imports their code once before the first: a
worker restarted after a crash is running again in a fraction of a second instead of spending a
second or more of CPU importing, and the two children start with the imported modules in place.
The supervisor has no threads and no open database connection when it forks.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from multiprocessing.process import BaseProcess
from typing import Mapping, NoReturn

log = logging.getLogger("plexbooks.run")

STOP_GRACE_S = 4.0
RESTART_WINDOW_S = 600.0
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
POLL_S = 0.1


class Supervisor:
    """Starts ``plexbooks serve`` and ``plexbooks worker`` and keeps them honest (see module doc)."""

    def __init__(self, environ: Mapping[str, str], *, max_restarts: int, stop_grace: float = STOP_GRACE_S):
        self.environ = {**environ, "PLEXBOOKS_HEALTH_REQUIRES_WORKER": "true"}
        self.max_restarts = max_restarts
        self.stop_grace = stop_grace
        self.children: dict[str, BaseProcess] = {}
        self.deaths: deque[float] = deque()
        self.restart_at: float | None = None
        self.stopping = False

    # -- children ----------------------------------------------------------------------------
    def _start(self, name: str) -> None:
        process = multiprocessing.get_context("fork").Process(target=_forked_child, args=(name, self.environ),
                                                              name=f"plexbooks {name}")
        process.start()
        self.children[name] = process
        log.info("run: started the %s (pid %s)", "web server" if name == "serve" else "worker",
                 self.children[name].pid)

    def _backoff(self) -> float:
        return min(BACKOFF_FIRST_S * 2 ** (len(self.deaths) - 1), BACKOFF_MAX_S)

    def _worker_died(self, code: int, now: float) -> bool:
        """Note a worker death; True when it may be restarted, False when it is time to give up."""
        self.deaths.append(now)
        while self.deaths and now - self.deaths[0] > RESTART_WINDOW_S:
            self.deaths.popleft()
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        if len(self.deaths) > self.max_restarts:
            log.error("run: the worker died (%s) %s times within %d min; giving up so the container restarts",
                      how, len(self.deaths), RESTART_WINDOW_S // 60)
            return False
        delay = self._backoff()
        log.error("run: the worker died (%s); restarting it in %.0f s (%s of %s restarts)", how, delay,
                  len(self.deaths), self.max_restarts)
        self.restart_at = now + delay
        return True

    def _stop_children(self) -> None:
        running = {name: p for name, p in self.children.items() if p.exitcode is None}
        for proc in running.values():
            try:
                proc.terminate()
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.stop_grace
        for name, proc in running.items():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.exitcode is None:
                log.warning("run: the %s did not stop within %.0f s; killing it", name, self.stop_grace)
                proc.kill()
                proc.join(5)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            log.info("run: %s received, stopping", signal.Signals(signum).name)
        self.stopping = True

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._start("serve")
            self._start("worker")
            code = self._watch()
        finally:
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("run: stopped")
        return code

    def _watch(self) -> int:
        while not self.stopping:
            now = time.monotonic()
            web = self.children["serve"].exitcode
            if web is not None:
                if self.stopping:          # the signal came while the web server was stopping for it
                    break
                log.error("run: the web server exited (code %s); stopping", web)
                return 1
            worker = self.children.get("worker")
            if worker is not None and worker.exitcode is not None and not self.stopping:
                del self.children["worker"]
                if not self._worker_died(worker.exitcode, now):
                    return 1
            if "worker" not in self.children and self.restart_at is not None and now >= self.restart_at:
                self.restart_at = None
                self._start("worker")
            time.sleep(POLL_S)
        return 0


def _exit_now(code: int) -> NoReturn:
    """Flush and end the process without the interpreter's teardown of some 800 modules.

    Only for a process whose work is done and whose resources are released: on a busy 2-core host
    that teardown takes a second or more per process, which a stop would otherwise wait for.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _forked_child(command: str, environ: Mapping[str, str]) -> NoReturn:
    """A supervised child, forked: ``plexbooks serve`` or ``plexbooks worker``, then a quick exit."""
    for sig in (signal.SIGTERM, signal.SIGINT):      # the supervisor's handlers are not the child's
        signal.signal(sig, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(environ)
    from plugin.cli import main
    code = 1
    try:
        code = main([command])
    except SystemExit as exc:                   # gunicorn's master ends with sys.exit()
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a forked child must never return into the supervisor's loop
        log.exception("run: the %s failed", command)
    finally:
        _exit_now(code)


def run(environ: Mapping[str, str] | None = None) -> NoReturn:
    """Bring the schema up to date once, then supervise web and worker."""
    from plugin.runtime import Runtime
    environ = dict(os.environ if environ is None else environ)
    runtime = Runtime(environ)
    max_restarts = runtime.config().worker_max_restarts
    # One metrics directory for both children, emptied once here (a restart counts from zero).
    from plugin import metrics
    environ[metrics.DIR_ENV] = str(metrics.prepare(runtime.data_dir, clean=True))
    runtime.dispose()
    from plugin.cli import import_commands
    import_commands("serve", "worker")
    _exit_now(Supervisor(environ, max_restarts=max_restarts).run())   # the children are gone, the engine disposed
