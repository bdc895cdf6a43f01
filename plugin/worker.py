"""The one worker process: inbox processing, the websocket listener and the scheduled jobs.

Only the holder of the leader lock acts; a second worker waits. Jobs run one at a time on
their own thread so a six-hour full scan never holds up real-time events.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

import schedule
from sqlalchemy import select

from plugin import inbox, jobs, refresh, signin, sync
from plugin.delivery import Deliverer
from plugin.errors import log_failure
from plugin.leader import LeaderLock
from plugin.models import JobRun
from plugin.notifications import NotificationListener
from plugin.runtime import NotConfigured, Runtime
from plugin.state import HEARTBEAT_S, write_worker_state

log = logging.getLogger(__name__)
LOST_LOCK = 3        # Worker.run's answer when the leader lock went away under it
JOBS: dict[str, Callable[..., dict[str, Any]]] = {jobs.FULL_SCAN: sync.full_scan,
                                                   jobs.RECENTLY_ADDED: sync.recent_poll,
                                                   jobs.ACCESS_RECHECK: signin.access_recheck}


class Worker:
    def __init__(self, runtime: Runtime, *, tick: float = 0.2):
        self.runtime = runtime
        self.tick = tick
        self.stop_event = threading.Event()
        self.lock = LeaderLock(runtime.engine, runtime.data_dir)
        self.scheduler = schedule.Scheduler()
        self.processor = inbox.InboxProcessor(runtime)
        self.listener: NotificationListener | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job")
        self.current: dict[str, Future] = {}
        self._intervals: dict[str, float] | None = None
        self._started = time.time()
        self._last_heartbeat = 0.0
        self._state_changed = threading.Event()
        self.deliverer = Deliverer(runtime)
        self.followups = refresh.FollowUpPolls(runtime)

    # -- lifecycle ----------------------------------------------------------------------
    def run(self) -> int:
        if not self.lock.acquire(self.stop_event.is_set):
            return 0
        log.info("worker: running (pid %s, %s lock)", os.getpid(), self.lock.kind)
        jobs.allow_runs()
        try:
            for job in JOBS:
                jobs.mark_interrupted(self.runtime, job)
            recovered = inbox.recover(self.runtime)
            if recovered:
                log.info("worker: %s interrupted inbox events will be processed again", recovered)
            self._start_listener()
            self.deliverer.start()
            self._schedule(initial=True)
            while not self.stop_event.is_set():
                self.step()
                if not self.lock.still_held():
                    log.warning("worker: lost the leader lock (the database went away?); stepping down")
                    return LOST_LOCK
                self.stop_event.wait(self.tick)
        finally:
            self._shutdown()
        return 0

    def stop(self, *_args: Any) -> None:
        self.stop_event.set()

    def _shutdown(self) -> None:
        log.info("worker: stopping")
        jobs.request_stop()           # a running scan ends at its next page or batch
        if self.listener:
            self.listener.stop()
        log.debug("worker: listener stopped")
        self.deliverer.stop()
        self.executor.shutdown(wait=True, cancel_futures=True)
        log.debug("worker: jobs stopped")
        self._write_state(stopped=True)
        self.lock.release()
        log.info("worker: stopped")

    # -- one turn of the loop -----------------------------------------------------------
    def step(self) -> None:
        try:
            while self.processor.run_once():
                if self.stop_event.is_set():
                    break
        except NotConfigured:
            pass
        except Exception:  # noqa: BLE001 - the loop must survive anything
            _log_failure("inbox processing failed")
        try:
            self.scheduler.run_pending()
            for run_id, job in jobs.claim_queued(self.runtime):
                self._submit(job, trigger="api", run_id=run_id)
            if self.followups.due(time.time(), self._realtime_works):
                self._submit(jobs.RECENTLY_ADDED, trigger="refresh")
        except Exception:  # noqa: BLE001
            _log_failure("scheduling failed")
        if time.monotonic() - self._last_heartbeat > HEARTBEAT_S or self._state_changed.is_set():
            self._state_changed.clear()
            self._last_heartbeat = time.monotonic()
            self._schedule()
            self._write_state()

    def _submit(self, job: str, *, trigger: str, run_id: int | None = None) -> None:
        future = self.current.get(job)
        if future is not None and not future.done() and run_id is None:
            return
        self.current[job] = self.executor.submit(self._run_job, job, trigger, run_id)

    def _run_job(self, job: str, trigger: str, run_id: int | None) -> None:
        try:
            JOBS[job](self.runtime, trigger=trigger, run_id=run_id)
        except jobs.JobAlreadyRunning as exc:
            log.info("worker: %s", exc)
        except Exception:  # noqa: BLE001
            log.exception("worker: %s crashed", job)

    # -- schedule -----------------------------------------------------------------------
    def _schedule(self, initial: bool = False) -> None:
        try:
            config = self.runtime.config()
        except Exception:  # noqa: BLE001
            return
        intervals = {setting: config[setting] for setting, _unit in jobs.SCHEDULE.values()}
        if intervals == self._intervals:
            return
        self._intervals = intervals
        self.scheduler.clear()
        for job, (setting, unit) in jobs.SCHEDULE.items():
            self.scheduler.every(intervals[setting] * unit).seconds.do(self._submit, job, trigger="schedule")
        log.info("worker: recently-added poll every %s min, full scan every %s h, access re-check every %s h",
                 intervals["poll_interval_minutes"], intervals["full_scan_interval_hours"],
                 intervals["access_recheck_hours"])
        if initial:
            # Catch up at start: a first full scan if none ever succeeded, else a poll.
            with self.runtime.session() as s:
                scanned = s.scalar(select(JobRun.id).where(JobRun.job == jobs.FULL_SCAN, JobRun.status == "ok")
                                   .limit(1))
            self._submit(jobs.RECENTLY_ADDED if scanned else jobs.FULL_SCAN, trigger="startup")

    def next_runs(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for entry in self.scheduler.get_jobs():
            if entry.job_func is None:   # every job here is given its function by .do()
                continue
            name = entry.job_func.args[0]
            out[name] = entry.next_run.astimezone().isoformat() if entry.next_run else None
        return out

    # -- websocket ----------------------------------------------------------------------
    def _start_listener(self) -> None:
        try:
            enabled = self.runtime.config().websocket_enabled
        except Exception:  # noqa: BLE001
            enabled = False
        if enabled:
            # a change of connection state is written at once, not at the next heartbeat
            self.listener = NotificationListener(self.runtime, on_state=lambda _state: self._state_changed.set())
            self.listener.start()

    def _realtime_works(self) -> bool:
        """A webhook ever arrived, or the websocket is connected: Plex will tell us itself."""
        connected = bool(self.listener and self.listener.state.get("connected"))
        return connected or inbox.depth(self.runtime)["last_webhook_at"] is not None

    # -- state for the status API (the web process reads it) ------------------------------
    def _write_state(self, stopped: bool = False) -> None:
        state = {
            "pid": os.getpid(), "host": socket.gethostname(), "started_at": self._started,
            "heartbeat_at": time.time(), "stopped": stopped, "lock": self.lock.kind,
            "websocket": dict(self.listener.state) if self.listener else {"connected": False, "enabled": False},
            "next_runs": self.next_runs(),
            "intervals": dict(self._intervals or dict.fromkeys(s for s, _unit in jobs.SCHEDULE.values())),
        }
        try:
            write_worker_state(self.runtime, state)
        except Exception:  # noqa: BLE001
            _log_failure("could not record its state")


def _log_failure(what: str) -> None:
    log_failure(log, f"worker: {what}")


def main(runtime: Runtime) -> int:
    """Run the worker until stopped. A worker that lost its leader lock (PostgreSQL restarted,
    its connection cut) steps down and queues for the lock again: it recovers by itself once
    the database is back, and never acts while another worker may."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stop.set())
    signal.signal(signal.SIGINT, lambda *_a: stop.set())
    while True:
        worker = Worker(runtime)
        worker.stop_event = stop
        code = worker.run()
        if code != LOST_LOCK or stop.is_set():
            return 0 if code == LOST_LOCK else code
        runtime.engine.dispose()        # connections to a server that went away are useless
        stop.wait(1.0)
