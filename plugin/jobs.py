"""Job runs: every job records what ran, why, when, how long, what it found or why it failed.

Job bodies are plain functions ``body(runtime) -> summary dict``; ``run_job`` wraps them
with the bookkeeping so the CLI, the API and the scheduler all call them the same way.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import select, update

from plugin.db import database_failure
from plugin.models import JobRun, utcnow
from plugin.plex import PlexError
from plugin.runtime import NotConfigured, Runtime
from plugin.secrets_store import REDACTOR
from plugin.settings import SettingError

log = logging.getLogger(__name__)

# A "running" row older than this is from a process that died; it no longer blocks a new run.
STALE_AFTER = timedelta(hours=3)


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
        return full


Progress = Callable[[dict[str, Any]], None]


def progress_recorder(runtime: Runtime, run_id: int, *, every_s: float = 1.0) -> Progress:
    """A callback a job body reports its progress to; it lands in the running run's
    ``summary.progress`` (at most every ``every_s`` seconds, and always the last word on
    details), so the status API and the settings page can show a progress bar."""
    state: dict[str, Any] = {"at": 0.0, "progress": {}, "started": time.monotonic()}

    def report(info: dict[str, Any]) -> None:
        state["progress"].update(info)
        details = info.get("details")
        final = bool(details) and details.get("done") == details.get("total")
        now = time.monotonic()
        if not final and now - state["at"] < every_s:
            return
        state["at"] = now
        snapshot = dict(state["progress"], elapsed_s=round(now - state["started"], 1))
        try:
            with runtime.session() as s:
                s.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
                          .values(summary={"progress": snapshot}))
        except Exception:  # noqa: BLE001 - progress is advisory; the job goes on
            log.debug("could not record progress of run %s", run_id, exc_info=True)

    return report


def run_job(runtime: Runtime, job: str, body: Callable[[Runtime, Progress], dict[str, Any]], *,
            trigger: str = "manual", run_id: int | None = None) -> dict[str, Any]:
    """Run ``body`` as a recorded job; failures end the run cleanly and are reported, not raised."""
    run_id = run_id if run_id is not None else start_run(runtime, job, trigger)
    started = time.perf_counter()
    try:
        summary = body(runtime, progress_recorder(runtime, run_id))
    except JobFailed as exc:
        return _failed(runtime, run_id, job, exc.error_class, str(exc), exc.summary, started)
    except PlexError as exc:
        return _failed(runtime, run_id, job, exc.code, str(exc), {}, started)
    except (NotConfigured, SettingError) as exc:
        return _failed(runtime, run_id, job, "not_configured", str(exc), {"fields": exc.fields}, started)
    except Exception as exc:  # noqa: BLE001 - a job must always end its run record
        failure = database_failure(exc)
        if failure is not None:     # the database failing, not a bug: say which way, no traceback
            return _failed(runtime, run_id, job, failure[0], failure[1], {}, started)
        log.exception("%s crashed", job)
        return _failed(runtime, run_id, job, "internal_error", f"{type(exc).__name__}: {exc}", {}, started)
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
