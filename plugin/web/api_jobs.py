"""Jobs: their schedule, last run, next run, and run-now (queued for the worker)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select

from plugin import jobs
from plugin.models import JobRun
from plugin.state import worker_state
from plugin.status import last_run, run_dict
from plugin.web.auth import require_api_key
from plugin.web.errors import ApiError
from plugin.web.schemas import JobRunOut, JobsPage, RunQueued, RunsPage, RunsQuery
from plugin.web.spec import declare
from plugin.web.validation import listing

bp = Blueprint("api_jobs", __name__, url_prefix="/api/v1")
require_api_key(bp)


def job_overview(runtime) -> list[dict]:
    config = runtime.config()
    state = worker_state(runtime) or {}
    out = []
    for name, (setting, seconds) in jobs.SCHEDULE.items():
        with runtime.session() as s:
            active = s.scalars(select(JobRun).where(JobRun.job == name, JobRun.status.in_(("running", "queued")))
                               .order_by(JobRun.id.desc()).limit(1)).first()
        out.append({
            "name": name, "every_s": round(config[setting] * seconds, 3), "interval_setting": setting,
            "running": active is not None and active.status == "running",
            "queued": active is not None and active.status == "queued",
            "current_run": run_dict(active, runtime), "last_run": run_dict(last_run(runtime, name, finished=True)),
            "next_run": (state.get("next_runs") or {}).get(name) if state.get("alive") else None,
        })
    return out


@bp.get("/jobs")
@declare("Each job's schedule, current and last run, next run; the worker's state", responses={200: JobsPage},
         tags=("jobs",))
def list_jobs():
    runtime = current_app.extensions["plexbooks"]
    items = job_overview(runtime)
    return jsonify({**listing(items, len(items), len(items), 0), "worker": worker_state(runtime)})


@bp.post("/jobs/<name>/run")
@declare("Queue a run now (the worker runs it)", responses={202: RunQueued, 404: None, 409: None}, tags=("jobs",))
def run_now(name: str):
    runtime = current_app.extensions["plexbooks"]
    if name not in jobs.SCHEDULE:
        raise ApiError(404, "unknown_job", f"no job named {name[:64]}; jobs: {', '.join(jobs.SCHEDULE)}")
    try:
        run_id = jobs.queue_run(runtime, name)
    except jobs.JobAlreadyRunning as exc:
        raise ApiError(409, "already_running", str(exc), run_id=exc.run_id) from None
    return jsonify({"status": "queued", "job": name, "run_id": run_id}), 202


@bp.get("/jobs/runs")
@declare("Job runs, newest first", query=RunsQuery, responses={200: RunsPage}, tags=("jobs",))
def list_runs(query: RunsQuery):
    runtime = current_app.extensions["plexbooks"]
    limit, offset = query.limit, query.offset
    with runtime.session() as s:
        total = s.query(JobRun).count()
        rows = s.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit).offset(offset)).all()
        return jsonify(listing([run_dict(r) for r in rows], total, limit, offset))


@bp.get("/jobs/runs/<int:run_id>")
@declare("One job run (its summary carries the progress while it runs)", responses={200: JobRunOut, 404: None},
         tags=("jobs",))
def get_run(run_id: int):
    runtime = current_app.extensions["plexbooks"]
    with runtime.session() as s:
        run = s.get(JobRun, run_id)
        if run is None:
            raise ApiError(404, "not_found", f"no job run {run_id}")
        return jsonify(run_dict(run, runtime))
