"""Prometheus metrics: what plexbooks counts, and ``/metrics`` output.

Two kinds of numbers, each taken where it is true:

- **Events** (scan durations, albums by outcome, webhooks by outcome, Plex errors, matcher
  decisions, event-to-available latency) are counters and histograms recorded by the process
  that saw them. ``plexbooks serve`` runs several gunicorn workers and ``plexbooks run`` a
  worker process beside them, so these use prometheus-client's multiprocess mode: every
  process writes its own files under one directory (``PROMETHEUS_MULTIPROC_DIR``, default
  ``<data_dir>/metrics``), the scrape adds them up. ``serve`` and ``run`` empty the
  directory at start; the processes they start share it.
- **State** (inbox depth and failures, requests by status, websocket connected, library
  size) is read from the database at scrape time: every process sees the same truth and no
  process has to keep a gauge in step with it.

The core calls the small ``record_*`` functions below; they never raise. A process that never
called :func:`prepare` (a test, a one-off command) keeps its numbers in memory.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from plugin.runtime import Runtime

log = logging.getLogger(__name__)
DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "plexbooks"
# Scans take from a second (a few hundred albums) to minutes (100,000); polls well under a second.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60, 300)
ALBUM_OUTCOMES = ("new", "updated", "unchanged", "removed", "skipped")
JOB_FAMILY = {"full_scan": "scan", "recently_added": "poll"}

_lock = threading.Lock()
_families: SimpleNamespace | None = None


def prepare(data_dir: Path | str, *, clean: bool) -> Path:
    """Choose the directory every process of this installation writes its metrics to.

    Must run before the first metric is recorded in this process (prometheus-client picks
    its storage when it is imported). ``clean`` empties it: only the process that starts
    the others (``serve``, ``run``) does that, so a restart starts counting from zero.
    """
    directory = Path(os.environ.get(DIR_ENV) or Path(data_dir) / "metrics")
    directory.mkdir(parents=True, exist_ok=True)
    if clean:
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
    os.environ[DIR_ENV] = str(directory)
    return directory


def multiprocess() -> bool:
    return bool(os.environ.get(DIR_ENV))


def _get() -> SimpleNamespace:
    global _families
    if _families is not None:
        return _families
    with _lock:
        if _families is None:
            from prometheus_client import CollectorRegistry, Counter, Histogram
            registry = CollectorRegistry(auto_describe=True)
            _families = SimpleNamespace(
                registry=registry,
                scan=Histogram(f"{PREFIX}_scan_duration_seconds", "Duration of full library scans.",
                               ["status"], buckets=DURATION_BUCKETS, registry=registry),
                poll=Histogram(f"{PREFIX}_poll_duration_seconds", "Duration of recently-added polls.",
                               ["status"], buckets=DURATION_BUCKETS, registry=registry),
                albums=Counter(f"{PREFIX}_albums", "Albums seen by scans and polls, by outcome.",
                               ["job", "outcome"], registry=registry),
                webhooks=Counter(f"{PREFIX}_webhooks_received", "Plex webhooks received, by outcome.",
                                 ["outcome"], registry=registry),
                plex_errors=Counter(f"{PREFIX}_plex_request_errors", "Failed requests to Plex, by error class.",
                                    ["error_class"], registry=registry),
                decisions=Counter(f"{PREFIX}_matcher_decisions", "Matches applied to requests, by reason.",
                                  ["reason"], registry=registry),
                latency=Histogram(f"{PREFIX}_event_to_available_seconds",
                                  "From a real-time event's arrival to its request turning available.",
                                  ["source"], buckets=LATENCY_BUCKETS, registry=registry),
            )
    return _families


def _safe(fn):
    """Metrics must never break the work they describe."""
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001
            log.debug("recording a metric failed", exc_info=True)
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


@_safe
def record_job(job: str, result: dict[str, Any]) -> None:
    """A finished scan or poll: its duration and the albums it saw by outcome."""
    family = JOB_FAMILY.get(job)
    if family is None:
        return
    m = _get()
    status = "ok" if result.get("status") == "ok" else "failed"
    duration = result.get("duration_s")
    if isinstance(duration, (int, float)):
        getattr(m, family).labels(status).observe(float(duration))
    for outcome in ALBUM_OUTCOMES:
        value = result.get(outcome)
        if isinstance(value, dict):          # e.g. skipped by reason
            value = sum(v for v in value.values() if isinstance(v, (int, float)))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            m.albums.labels(job, outcome).inc(value)


@_safe
def record_webhook(outcome: str) -> None:
    """One webhook call: ``accepted``, ``coalesced``, ``ignored`` or the error code it was refused with."""
    _get().webhooks.labels(outcome[:40]).inc()


@_safe
def record_plex_error(error_class: str) -> None:
    _get().plex_errors.labels(error_class).inc()


@_safe
def record_decision(reason: str) -> None:
    _get().decisions.labels(reason or "unknown").inc()


@_safe
def record_event_available(source: str, received_at: datetime | None, matched: int) -> None:
    """A real-time event turned ``matched`` requests available: how long after it arrived."""
    if not matched or received_at is None:
        return
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    seconds = max(0.0, (datetime.now(timezone.utc) - received_at).total_seconds())
    histogram = _get().latency.labels(source)
    for _ in range(min(int(matched), 1000)):
        histogram.observe(seconds)


class _DatabaseCollector:
    """State read from the database at scrape time."""

    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import GaugeMetricFamily
        from sqlalchemy import func, select

        from plugin.models import STATUSES, AudiobookRequest, InboxEvent, LibraryItem
        from plugin.state import worker_state   # here: plugin.plex imports this module

        with self.runtime.session() as s:
            inbox = dict(s.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all())
            by_status = dict(s.execute(select(AudiobookRequest.status, func.count())
                                       .group_by(AudiobookRequest.status)).all())
            items = s.scalar(select(func.count()).select_from(LibraryItem)) or 0
        yield GaugeMetricFamily(f"{PREFIX}_inbox_depth", "Real-time events waiting to be processed.",
                                value=inbox.get("pending", 0) + inbox.get("processing", 0))
        yield GaugeMetricFamily(f"{PREFIX}_inbox_failed", "Real-time events that failed every attempt.",
                                value=inbox.get("failed", 0))
        requests = GaugeMetricFamily(f"{PREFIX}_requests", "Requests by status.", labels=["status"])
        for status in STATUSES:
            requests.add_metric([status], by_status.get(status, 0))
        yield requests
        state = worker_state(self.runtime) or {}
        connected = bool(state.get("alive") and (state.get("websocket") or {}).get("connected"))
        yield GaugeMetricFamily(f"{PREFIX}_websocket_connected",
                                "1 when the worker is listening to Plex's websocket notifications.",
                                value=1 if connected else 0)
        yield GaugeMetricFamily(f"{PREFIX}_worker_up", "1 when a worker's heartbeat is recent.",
                                value=1 if state.get("alive") else 0)
        yield GaugeMetricFamily(f"{PREFIX}_library_items", "Albums in the mirror.", value=items)


class _Proxy:
    def __init__(self, registry: Any):
        self.registry = registry

    def collect(self) -> Iterable[Any]:
        return self.registry.collect()


def exposition(runtime: "Runtime") -> tuple[bytes, str]:
    """The text exposition of every family: this installation's events, and state from the database."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    m = _get()
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        from prometheus_client.multiprocess import MultiProcessCollector
        MultiProcessCollector(registry)
    else:
        registry.register(_Proxy(m.registry))
    registry.register(_DatabaseCollector(runtime))
    return generate_latest(registry), CONTENT_TYPE_LATEST
