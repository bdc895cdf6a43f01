"""What the status API and `plexbooks status` report: Plex reachability, configuration,
the last runs of each job and the counts of the mirror and the requests."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select

from plugin import state
from plugin.models import AudiobookRequest, JobRun, LibraryItem
from plugin.plex import PlexError
from plugin.runtime import NotConfigured, Runtime
from plugin.state import worker_state

_PLEX_CHECK_TTL = 30.0
_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def plex_reachability(runtime: Runtime, *, fresh: bool = False) -> dict[str, Any]:
    """Ask Plex who it is, at most every 30 s; the answer says why when it is not reachable."""
    config = runtime.config()
    cache_key = f"{config.plex_url}|{hash(config.plex_token)}"
    with _cache_lock:
        cached = _cache.get(cache_key)
        if cached and not fresh and time.monotonic() - cached[0] < _PLEX_CHECK_TTL:
            return cached[1]
    try:
        client = runtime.plex(config)
        client.timeout = min(client.timeout, 5.0)
        info = client.server_info()
        state.remember_machine_identifier(runtime, info.machine_identifier)
        result = {"reachable": True, **info.as_dict()}
    except NotConfigured as exc:
        result = {"reachable": False, "error_class": "not_configured", "error": str(exc)}
    except PlexError as exc:
        result = {"reachable": False, "error_class": exc.code, "error": str(exc)}
    result["checked_at"] = time.time()
    result["since"] = _since(runtime, f"{result['reachable']}|{result.get('error_class')}", result["checked_at"])
    with _cache_lock:
        _cache.clear()
        _cache[cache_key] = (time.monotonic(), result)
    return result


def _since(runtime: Runtime, answer: str, now: float) -> float:
    """When Plex's answer last changed (reachable, or why not): kept as ``answer|epoch``."""
    stored = state.get(runtime, "state.plex_state") or ""
    previous, _, when = stored.rpartition("|")
    if previous == answer and when:
        try:
            return float(when)
        except ValueError:
            pass
    state.put(runtime, "state.plex_state", f"{answer}|{now}")
    return now


def run_dict(run: JobRun | None, runtime: Runtime | None = None) -> dict[str, Any] | None:
    """A job run as JSON; with ``runtime``, a running one carries its ``progress``."""
    if run is None:
        return None
    progress = None
    if run.status == "running" and runtime is not None:
        from plugin.jobs import read_progress
        progress = read_progress(runtime, run.id)
    return {"id": run.id, "job": run.job, "trigger": run.trigger, "status": run.status, "progress": progress,
            "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
            "duration_s": run.duration_s, "summary": run.summary, "error_class": run.error_class,
            "error": run.error}


def iso(value: Any) -> str | None:
    """ISO 8601 in UTC. SQLite hands stored times back without their zone: they are UTC."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def last_run(runtime: Runtime, job: str, *, finished: bool = False) -> JobRun | None:
    with runtime.session() as s:
        query = select(JobRun).where(JobRun.job == job)
        if finished:
            query = query.where(JobRun.status != "running")
        return s.scalars(query.order_by(JobRun.id.desc()).limit(1)).first()


def counts(runtime: Runtime) -> dict[str, Any]:
    with runtime.session() as s:
        items = s.scalar(select(func.count()).select_from(LibraryItem))
        with_asin = s.scalar(select(func.count()).select_from(LibraryItem).where(LibraryItem.asin.is_not(None)))
        by_status = dict(s.execute(select(AudiobookRequest.status, func.count())
                                   .group_by(AudiobookRequest.status)).all())
    return {"library_items": items, "library_items_with_asin": with_asin,
            "requests": sum(by_status.values()), "requests_by_status": by_status}


STATE_DELETION_REFUSED = "state.plex_deletion_refused"


def status(runtime: Runtime) -> dict[str, Any]:
    config = runtime.config()
    scan = last_run(runtime, "full_scan", finished=True)
    poll = last_run(runtime, "recently_added", finished=True)
    from plugin import notification_targets
    from plugin.inbox import depth
    worker = worker_state(runtime)
    inbox = depth(runtime)
    webhook = {"url": state.webhook_url(runtime), "last_received_at": inbox.pop("last_webhook_at")}
    if webhook["last_received_at"] is None:
        webhook["hint"] = ("no webhook has arrived yet: add the URL in Plex (Settings > Webhooks); webhooks need "
                           "Plex Pass on the server owner's account and the server's push notifications on. "
                           "Without them the websocket listener and the recently-added poll still find new books.")
    return {
        "plex": plex_reachability(runtime),
        "webhook": webhook,
        "inbox": inbox,
        "websocket": (worker or {}).get("websocket", {"connected": False}),
        "worker": {"alive": bool(worker and worker.get("alive")), "pid": (worker or {}).get("pid"),
                   "heartbeat_at": (worker or {}).get("heartbeat_at")},
        "configured": {"plex_url": bool(config.plex_url), "plex_token": bool(config.plex_token),
                       "library": list(config.plex_library)},
        "library_configured": bool(config.plex_library),
        "machine_identifier": state.machine_identifier(runtime),
        "last_scan": run_dict(scan),
        "last_recent_poll": run_dict(poll),
        "counts": counts(runtime),
        "plextv": _plextv(runtime),
        "notifications": notification_targets.summary(runtime),
        # deletion switched on here but refused by Plex ("Allow media deletion" off there)
        "deletion": {"enabled": bool(config.allow_plex_deletion),
                     "refused_at": state.get(runtime, STATE_DELETION_REFUSED) if config.allow_plex_deletion else None},
    }


def _plextv(runtime: Runtime) -> dict[str, Any]:
    """plex.tv as the last access re-check saw it: sessions stay while it cannot be reached."""
    from plugin.signin import ACCESS_RECHECK, plextv_status
    seen = plextv_status(runtime) or {"reachable": None, "checked_at": None, "error": None}
    if seen.get("reachable") is False:
        seen["hint"] = "plex.tv could not be reached at the last access re-check; sessions are kept until it answers"
    seen["last_access_recheck"] = run_dict(last_run(runtime, ACCESS_RECHECK, finished=True))
    return seen
