"""Job runs: every job records what ran, why, when, how long, what it found or why it failed.

Job bodies are plain functions ``body(runtime) -> summary dict``; ``run_job`` wraps them
with the bookkeeping so the CLI, the API and the scheduler all call them the same way.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
import time
from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import select, update

from plugin import metrics
from plugin.errors import classify
from plugin.models import JobRun, utcnow
from plugin.runtime import NotConfigured, Runtime
from plugin.redaction import REDACTOR
from plugin.settings import SettingError

log = logging.getLogger(__name__)

# The scheduled jobs (the worker maps each name to its body) and, for each, the setting that
# says how often it runs, with that setting's unit in seconds.
FULL_SCAN, RECENTLY_ADDED, ACCESS_RECHECK = "full_scan", "recently_added", "access_recheck"
SCHEDULE: dict[str, tuple[str, int]] = {RECENTLY_ADDED: ("poll_interval_minutes", 60),
                                        FULL_SCAN: ("full_scan_interval_hours", 3600),
                                        ACCESS_RECHECK: ("access_recheck_hours", 3600)}

# A "running" row older than this is from a process that died; it no longer blocks a new run.
STALE_AFTER = timedelta(hours=3)


# The run a job body is executing, so it can report progress without passing ids around.
_CURRENT: contextvars.ContextVar[tuple[Runtime, int, float] | None] = contextvars.ContextVar("job_run", default=None)
_last_report: dict[int, float] = {}


def _progress_path(runtime: Runtime, run_id: int):
    return runtime.data_dir / "progress" / f"run-{run_id}.json"


def report_progress(**fields: Any) -> None:
    """Progress of the running job (albums listed, details fetched...), at most 4 times a second.

    Kept in a small file in the data directory, not the database: a scan holds one write
    transaction from start to end, and SQLite has one writer.
    """
    current = _CURRENT.get()
    if current is None:
        return
    runtime, run_id, started = current
    now = time.monotonic()
    if now - _last_report.get(run_id, 0.0) < 0.25 and not fields.get("final"):
        return
    _last_report[run_id] = now
    path = _progress_path(runtime, run_id)
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({**fields, "elapsed_s": round(now - started, 3)}))
        tmp.replace(path)
    except OSError:
        log.debug("could not write job progress", exc_info=True)


def read_progress(runtime: Runtime, run_id: int) -> dict[str, Any] | None:
    try:
        return json.loads(_progress_path(runtime, run_id).read_text())
    except (OSError, ValueError):
        return None


_STOPPING = threading.Event()


def request_stop() -> None:
    """Ask running job bodies of this process to end at their next safe point (the worker
    is stopping: a container stop must not wait for a scan of 100,000 albums)."""
    _STOPPING.set()


def allow_runs() -> None:
    _STOPPING.clear()


def check_stop() -> None:
    """Called by job bodies between pages and batches: ends the run as ``interrupted`` when
    the process is stopping. Whatever the body committed so far stays; the open
    transaction (an album listing) is rolled back."""
    if _STOPPING.is_set():
        raise JobFailed("interrupted", "the worker stopped before the run finished; the next run goes on")


class JobAlreadyRunning(RuntimeError):
    def __init__(self, job: str, run_id: int):
        super().__init__(f"{job} is already running (run {run_id})")
        self.job, self.run_id = job, run_id


class JobFailed(RuntimeError):
    """Raised inside a job body to end the run as failed with a summary of what was done."""

    def __init__(self, error_class: str, message: str, summary: dict[str, Any] | None = None):
        super().__init__(message)
        self.error_class = error_class
        self.summary = summary or {}


def start_run(runtime: Runtime, job: str, trigger: str, *, status: str = "running") -> int:
    """Record a new run (running, or queued for the worker); refuse when one of the same
    job is already queued or in progress."""
    now = utcnow()
    with runtime.session() as s:
        running = s.scalars(select(JobRun).where(JobRun.job == job,
                                                 JobRun.status.in_(("running", "queued")))).all()
        for run in running:
            started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=now.tzinfo)
            if now - started < STALE_AFTER:
                raise JobAlreadyRunning(job, run.id)
            run.status, run.finished_at = "failed", now
            run.error_class, run.error = "abandoned", "the process running it stopped before it finished"
        run = JobRun(job=job, trigger=trigger, status=status, started_at=now)
        s.add(run)
        s.flush()
        return run.id


def queue_run(runtime: Runtime, job: str, trigger: str = "api") -> int:
    """Ask the worker to run a job now (the web process never runs jobs itself)."""
    return start_run(runtime, job, trigger, status="queued")


def claim_queued(runtime: Runtime) -> list[tuple[int, str]]:
    """Queued runs, marked running, for the worker to execute."""
    with runtime.session() as s:
        queued = s.scalars(select(JobRun).where(JobRun.status == "queued").order_by(JobRun.id)).all()
        for run in queued:
            run.status, run.started_at = "running", utcnow()
        return [(run.id, run.job) for run in queued]


def finish_run(runtime: Runtime, run_id: int, summary: dict[str, Any], *, error_class: str | None = None,
               error: str | None = None) -> dict[str, Any]:
    now = utcnow()
    with runtime.session() as s:
        run = s.get(JobRun, run_id)
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=now.tzinfo)
        run.status = "failed" if error_class else "ok"
        run.finished_at = now
        run.duration_s = round((now - started).total_seconds(), 3)
        run.error_class, run.error = error_class, REDACTOR.redact(error) if error else None
        full = {"status": run.status, **summary, "duration_s": summary.get("duration_s", run.duration_s),
                "error_class": error_class, "error": run.error, "run_id": run_id}
        run.summary = full
        job = run.job
    metrics.record_job(job, full)
    return full


def run_job(runtime: Runtime, job: str, body: Callable[[Runtime], dict[str, Any]], *,
            trigger: str = "manual", run_id: int | None = None) -> dict[str, Any]:
    """Run ``body`` as a recorded job; failures end the run cleanly and are reported, not raised."""
    run_id = run_id if run_id is not None else start_run(runtime, job, trigger)
    started = time.perf_counter()
    token = _CURRENT.set((runtime, run_id, time.monotonic()))
    try:
        return _run_body(runtime, job, body, run_id, started)
    finally:
        _CURRENT.reset(token)
        _last_report.pop(run_id, None)
        _progress_path(runtime, run_id).unlink(missing_ok=True)


def _run_body(runtime: Runtime, job: str, body: Callable[[Runtime], dict[str, Any]], run_id: int,
              started: float) -> dict[str, Any]:
    try:
        summary = body(runtime)
    except JobFailed as exc:
        return _failed(runtime, run_id, job, exc.error_class, str(exc), exc.summary, started)
    except Exception as exc:  # noqa: BLE001 - a job must always end its run record
        kind = classify(exc)
        if not kind.expected:
            log.exception("%s crashed", job)
            return _failed(runtime, run_id, job, kind.code, f"{type(exc).__name__}: {exc}", {}, started)
        fields = getattr(exc, "fields", None)
        code = "not_configured" if isinstance(exc, (NotConfigured, SettingError)) else kind.code
        return _failed(runtime, run_id, job, code, kind.message or str(exc), {"fields": fields} if fields else {},
                       started)
    summary["duration_s"] = round(time.perf_counter() - started, 3)
    result = finish_run(runtime, run_id, summary)
    log.info("%s finished: %s", job, _brief(result))
    return result


def _failed(runtime: Runtime, run_id: int, job: str, error_class: str, message: str, summary: dict[str, Any],
            started: float) -> dict[str, Any]:
    summary = dict(summary, duration_s=round(time.perf_counter() - started, 3))
    result = finish_run(runtime, run_id, summary, error_class=error_class, error=message)
    log.warning("%s failed (%s): %s", job, error_class, result["error"])
    return result


def _brief(summary: dict[str, Any]) -> str:
    keys = ("total", "new", "updated", "unchanged", "removed", "skipped", "matched", "duration_s")
    return ", ".join(f"{k}={summary[k]}" for k in keys if k in summary)


def mark_interrupted(runtime: Runtime, job: str) -> int:
    """Close runs left 'running' by a process that is known to be gone (used at worker start)."""
    with runtime.session() as s:
        result = s.execute(update(JobRun).where(JobRun.job == job, JobRun.status == "running")
                           .values(status="failed", finished_at=utcnow(), error_class="abandoned",
                                   error="the process running it stopped before it finished"))
        return result.rowcount or 0
