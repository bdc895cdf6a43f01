"""The whole system under a bounded load, as it runs for real: a simulated Plex, `plexbooks serve`
(gunicorn) and `plexbooks worker` as processes, driven only from outside (HTTP, the simulator's
control API, signals).

Used three ways: the crash-point test (kill -9 the worker at random moments of a full scan, a
poll and a webhook burst), the short soak in `make test`, and `make soak` (``SOAK_SECONDS``,
5 minutes by default):

    python -m tests.soak --seconds 300 [--database sqlite|postgres] [--json]

Every run ends with the same invariants (:meth:`Stack.check_invariants`): after one more full
scan the mirror equals the simulator's truth, every accepted webhook event was processed, and
no request was completed twice (one "Match found!" at most per request, in every log).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests
from sqlalchemy import create_engine, func, select

from plugin.models import AudiobookRequest, InboxEvent
from plugin.simulator.server import SimulatedPlex
from tests.conftest import API_KEY, environment
from tests.processes import Proc, free_port, wait_for, wait_http

SECRET = "soak-webhook-secret-0123"
AUTHORS = 40
FAULT_MODES = ["error500", "error503", "unauthorized", "malformed_xml", "no_total_size", "drop_connection",
               "truncated", "empty", "slow"]
FAULT_PATHS = ["/library/sections/3/all", "/library/metadata/", None]
# ERROR lines that an injected fault explains: the websocket client library reports a refused
# or cut connection at ERROR level itself.
EXPECTED_ERRORS = re.compile(r"ERROR websocket: ")
ERROR_LINE = re.compile(r"(^|\s)ERROR\s|\[ERROR\]|^Traceback")
MATCH_FOUND = re.compile(r'Match found! "(?P<title>[^"]*)"')


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


@dataclass
class Stack:
    """Simulated Plex, web and worker processes on one data directory and database."""

    root: Path
    database_url: str | None = None
    books: int = 200
    page_size: int = 25
    web_workers: int = 2
    plex: SimulatedPlex = field(init=False)
    web: Proc | None = None
    worker: Proc | None = None
    logs: list[Path] = field(default_factory=list)
    accepted: set[int] = field(default_factory=set)
    requests_made: dict[str, int] = field(default_factory=dict)
    injected_faults: int = 0
    kills: int = 0
    counter: int = 0

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.plex = SimulatedPlex(books=self.books, seed=7)
        self.plex.start()
        self.port = free_port()
        extra = {"PLEXBOOKS_PORT": str(self.port), "PLEXBOOKS_WEB_WORKERS": str(self.web_workers),
                 "PLEXBOOKS_WEBHOOK_SECRET": SECRET, "PLEXBOOKS_SCAN_PAGE_SIZE": str(self.page_size),
                 "PLEXBOOKS_PLEX_TIMEOUT": "3", "PLEXBOOKS_LOG_LEVEL": "INFO",
                 "PLEXBOOKS_INBOX_MAX_ATTEMPTS": "50", "PLEXBOOKS_SCAN_DETAILS_LIMIT": "0"}
        if self.database_url:
            extra["DATABASE_URL"] = self.database_url
        self.env = environment(self.root / "data", self.plex, **extra)
        self.url = f"http://127.0.0.1:{self.port}"
        self.session = requests.Session()
        self.session.headers["X-Api-Key"] = API_KEY
        self._local = threading.local()        # webhook posters each have their own session
        self.plex.set_webhook_urls([f"{self.url}/webhooks/plex/{SECRET}"])

    # -- processes ----------------------------------------------------------------------
    def _proc(self, args: list[str], name: str) -> Proc:
        log = self.root / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        return Proc(args, self.env, log)

    def start_web(self) -> None:
        self.web = self._proc(["serve"], "web")
        wait_http(f"{self.url}/healthz", 60)

    def start_worker(self) -> None:
        self.worker = self._proc(["worker"], "worker")

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.kill9()
        self.worker.stop()            # closes its log
        self.kills += 1

    def stop(self) -> None:
        for proc in (self.worker, self.web):
            if proc is not None:
                proc.stop()
        self.plex.stop()

    def pids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        if self.web is not None:
            out["web"] = self.web.pid
            for n, child in enumerate(children(self.web.pid)):
                out[f"web-worker-{n}"] = child
        if self.worker is not None:
            out["worker"] = self.worker.pid
        return out

    # -- what the outside does ----------------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)

    def new_book(self, *, webhooks: bool, request_it: bool = True) -> Any:
        """A book arrives in Plex; the pipeline asked for it before (so it has a request to complete)."""
        self.counter += 1
        n = self.counter
        # a library has far fewer authors than books: a few dozen write them all. (One new author
        # per book would grow the matcher's bounded author-pair cache without end in a short run:
        # a request is compared with every open one, so n authors fill n*(n-1)/2 entries.)
        title, author = f"Soak Book {n:05d} Quill", f"Author {n % AUTHORS:02d} Ink"
        asin = f"B0SOAK{n:04d}"[:10]
        if request_it:
            response = self.api("POST", "/api/v1/requests", json={"title": title, "author": author, "asin": asin,
                                                                  "status": "downloaded", "user": "soak"})
            assert response.status_code == 201, response.text
            self.requests_made[title] = response.json()["id"]
        if webhooks:
            return self.plex.add_album(title, author, None, asin, webhook_per_track=True)
        # added without Plex announcing it: only a poll or a scan will find it
        old = self.plex.webhook_urls
        self.plex.set_webhook_urls([])
        try:
            return self.plex.catalogue.add_album(title, author, None, asin)
        finally:
            self.plex.set_webhook_urls(old)

    def post_webhook(self, album: Any) -> int:
        payload = {"event": "library.new", "Server": {"uuid": self.plex.machine_identifier},
                   "Metadata": {"librarySectionID": "3", "type": "album", "ratingKey": album.rating_key,
                                "title": album.title}}
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        response = session.post(f"{self.url}/webhooks/plex/{SECRET}", json=payload, timeout=30)
        assert response.status_code in (200, 202), response.text
        if response.status_code == 202:
            self.accepted.add(response.json()["event_id"])
        return response.status_code

    def run_job(self, job: str) -> int | None:
        response = self.api("POST", f"/api/v1/jobs/{job}/run")
        assert response.status_code in (202, 409), response.text
        return response.json().get("run_id") if response.status_code == 202 else None

    def job_status(self, run_id: int) -> str:
        return self.api("GET", f"/api/v1/jobs/runs/{run_id}").json()["status"]

    def random_fault(self, rnd: random.Random) -> None:
        self.plex.set_failure(rnd.choice(FAULT_MODES), rnd.randint(1, 3), path=rnd.choice(FAULT_PATHS),
                              seconds=4.0)
        self.injected_faults += 1

    # -- the end ------------------------------------------------------------------------
    def settle(self, timeout: float = 120.0) -> None:
        """Faults off, a worker running, every event processed and one more full scan done."""
        self.plex.clear_failures()
        self.plex.wait_idle(30)
        if self.worker is None or self.worker.popen.poll() is not None:
            self.start_worker()
        engine = self.engine()
        try:
            def inbox_done() -> bool:
                with engine.connect() as conn:
                    return not conn.execute(select(func.count()).select_from(InboxEvent)
                                            .where(InboxEvent.status.in_(("pending", "processing")))).scalar()

            def finished(run_id: int) -> bool:
                return self.job_status(run_id) in ("ok", "failed")

            deadline = time.monotonic() + timeout
            while True:
                # inbox retries back off: after the faults, the scan is the safety net
                run_id = wait_for(lambda: self.run_job("full_scan"), timeout, 0.5, "a full scan queued")
                wait_for(lambda run_id=run_id: finished(run_id), timeout, 0.2, f"full scan {run_id}")
                if self.job_status(run_id) == "ok" or time.monotonic() > deadline:
                    break
            assert self.job_status(run_id) == "ok", self.api("GET", f"/api/v1/jobs/runs/{run_id}").json()
            with engine.begin() as conn:   # what is still backing off would be caught by the next poll
                conn.execute(InboxEvent.__table__.update().where(InboxEvent.status == "pending")
                             .values(next_attempt_at=func.now()))
            wait_for(inbox_done, timeout, 0.2, "the inbox drained")
        finally:
            engine.dispose()

    def engine(self):
        url = self.database_url or f"sqlite:///{(self.root / 'data' / 'plexbooks.db').resolve()}"
        return create_engine(url)

    def check_invariants(self) -> dict[str, Any]:
        """Item 5's invariants; returns what was checked, raises AssertionError on a breach."""
        mirror: dict[str, tuple[str, str]] = {}
        offset = 0
        while True:
            page = self.api("GET", f"/api/v1/library?limit=500&offset={offset}").json()
            mirror.update({i["guid"]: (i["rating_key"], i["title"]) for i in page["items"]})
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
        truth = {a.guid: (a.rating_key, a.title) for a in self.plex.catalogue.ordered()}
        missing, extra = set(truth) - set(mirror), set(mirror) - set(truth)
        assert not missing and not extra, f"mirror differs from Plex: {len(missing)} missing, {len(extra)} extra"
        assert mirror == truth, "mirror rows differ from Plex"
        engine = self.engine()
        try:
            with engine.connect() as conn:
                events = {e.id: (e.status, e.last_error) for e in conn.execute(
                    select(InboxEvent.id, InboxEvent.status, InboxEvent.last_error)
                    .where(InboxEvent.id.in_(self.accepted or {-1})))}
                reqs = {r.title: r.status for r in conn.execute(
                    select(AudiobookRequest.title, AudiobookRequest.status)
                    .where(AudiobookRequest.user == "soak"))}
        finally:
            engine.dispose()
        lost = self.accepted - set(events)
        assert not lost, f"accepted events not in the inbox: {sorted(lost)[:10]}"
        unprocessed = {i: s for i, s in events.items() if s[0] != "done"}
        assert not unprocessed, f"accepted events not processed: {list(unprocessed.items())[:5]}"
        in_plex = {t for _rk, t in truth.values()}
        open_ = {t: s for t, s in reqs.items() if t in in_plex and s != "available"}
        assert not open_, f"requests for books in Plex that are not available: {list(open_.items())[:5]}"
        matches: dict[str, int] = {}
        for log in self.logs:
            for m in MATCH_FOUND.finditer(log.read_text(errors="replace")):
                matches[m.group("title")] = matches.get(m.group("title"), 0) + 1
        twice = {t: n for t, n in matches.items() if n > 1}
        assert not twice, f"requests completed more than once: {twice}"
        return {"albums": len(truth), "accepted_events": len(self.accepted), "requests": len(reqs),
                "available": sum(1 for s in reqs.values() if s == "available"),
                "match_lines": sum(matches.values()), "kills": self.kills, "faults": self.injected_faults}

    def unexpected_errors(self) -> list[str]:
        lines = []
        for log in self.logs:
            for line in log.read_text(errors="replace").splitlines():
                if ERROR_LINE.search(line) and not EXPECTED_ERRORS.search(line):
                    lines.append(f"{log.name}: {line[:300]}")
        return lines


# ------------------------------------------------------------------------------ the soak
class WebhookSender:
    """Webhooks at a fixed rate, open loop, from a small pool of threads (one keep-alive
    connection each): a slow answer delays no later send. At most ``max_in_flight`` are
    outstanding; beyond that the caller waits (the load is bounded, and a server that cannot keep
    up shows as a lower achieved rate, not as an ever-growing queue)."""

    def __init__(self, stack: Stack, per_s: float, threads: int = 12, max_in_flight: int = 48):
        self.stack, self.tick = stack, 1.0 / per_s
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook")
        self.slots = threading.BoundedSemaphore(max_in_flight)
        self.futures: list[Future] = []
        self.start = self.next_at = time.monotonic()
        self.sent = 0
        self.lag_max = 0.0           # how late a send started after its slot, at worst (seconds)
        self.done_at: list[float] = []

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def send(self, album: Any) -> None:
        scheduled = self.next_at
        self.next_at += self.tick
        self.slots.acquire()
        self.sent += 1
        self.futures.append(self.pool.submit(self._post, album, scheduled))

    def _post(self, album: Any, scheduled: float) -> int:
        try:
            self.lag_max = max(self.lag_max, round(time.monotonic() - scheduled, 3))
            return self.stack.post_webhook(album)
        finally:
            self.done_at.append(time.monotonic())
            self.slots.release()

    def finish(self) -> float:
        """Waits for every answer (raising the first failure); the achieved rate: answers per
        second from the first send to the last answer."""
        self.pool.shutdown(wait=True)
        for future in self.futures:
            future.result()
        if not self.done_at:
            return 0.0
        return round(len(self.done_at) / max(1e-6, max(self.done_at) - self.start), 1)


def soak(seconds: float, root: Path, database_url: str | None = None, *, webhooks_per_s: float = 50.0,
         scan_every_s: float = 30.0, seed: int = 11, log: Callable[[str], None] = lambda _m: None
         ) -> dict[str, Any]:
    """Webhooks at ``webhooks_per_s``, API reads and writes, a full scan every
    ``scan_every_s``, random faults; then the invariants, memory and the logs."""
    rnd = random.Random(seed)
    stack = Stack(root, database_url, books=150)
    samples: dict[str, list[tuple[float, int]]] = {}
    stop = threading.Event()
    counts = {"webhooks": 0, "reads": 0, "writes": 0, "scans": 0, "faults": 0}
    try:
        stack.start_web()
        stack.start_worker()
        run_id = wait_for(lambda: stack.run_job("full_scan") or True, 30, 0.5, "first scan")
        wait_for(lambda: stack.api("GET", "/api/v1/status").json()["last_scan"], 60, 0.5, "first scan done")
        del run_id

        def sample() -> None:
            while not stop.wait(1.0):
                now = time.monotonic()
                for name, pid in stack.pids().items():
                    kb = rss_kb(pid)
                    if kb:
                        samples.setdefault(name, []).append((now, kb))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        recent: list[Any] = []
        start = time.monotonic()
        next_scan = start + scan_every_s
        next_fault = start + rnd.uniform(2, 6)
        sender = WebhookSender(stack, webhooks_per_s)
        while time.monotonic() - start < seconds:
            now = time.monotonic()
            while sender.due(now):                        # paced at webhooks_per_s, open loop
                if not recent or rnd.random() < 0.06:
                    recent.append(stack.new_book(webhooks=False))
                    recent = recent[-40:]
                sender.send(rnd.choice(recent))           # new books and replays
            if rnd.random() < 0.1:
                path = rnd.choice(["/api/v1/library?limit=20", "/api/v1/status", "/api/v1/requests?limit=20",
                                   "/api/v1/jobs", f"/api/v1/library?q={rnd.choice(['soak', 'book', 'ink'])}"])
                assert stack.api("GET", path).status_code == 200
                counts["reads"] += 1
            if rnd.random() < 0.02:
                stack.new_book(webhooks=False)                         # found by the next poll or scan
                counts["writes"] += 1
            if now >= next_scan:
                next_scan += scan_every_s
                stack.run_job(rnd.choice(["full_scan", "recently_added"]))
                counts["scans"] += 1
            if now >= next_fault:
                next_fault = now + rnd.uniform(2, 6)
                stack.random_fault(rnd)
                counts["faults"] += 1
            time.sleep(max(0.0, min(sender.next_at, next_scan) - time.monotonic()))
        rate = sender.finish()                            # every webhook got a 2xx, or this raises
        counts["webhooks"] = sender.sent
        elapsed = time.monotonic() - start
        stop.set()
        sampler.join(3)
        log(f"load done after {elapsed:.0f} s: {counts}; settling")
        stack.settle()
        result = stack.check_invariants()
        result.update(counts, seconds=round(elapsed, 1), webhooks_per_s=rate, webhook_lag_max_s=sender.lag_max,
                      memory=memory_growth(samples), rss_series=rss_series(samples),
                      errors=stack.unexpected_errors())
        return result
    finally:
        stop.set()
        stack.stop()


def memory_growth(samples: dict[str, list[tuple[float, int]]], warmup: float = 0.4) -> dict[str, Any]:
    """Per process: median RSS just after warm-up vs. at the end (growth as a fraction)."""
    out: dict[str, Any] = {}
    for name, points in samples.items():
        if len(points) < 6:
            continue
        t0, t1 = points[0][0], points[-1][0]
        after = [kb for t, kb in points if t0 + warmup * (t1 - t0) <= t < t0 + (warmup + 0.15) * (t1 - t0)]
        end = [kb for t, kb in points if t >= t1 - 0.15 * (t1 - t0)]
        if after and end:
            base = statistics.median(after)
            out[name] = {"rss_mb_after_warmup": round(base / 1024, 1), "rss_mb_end": round(statistics.median(end) / 1024, 1),
                         "growth": round(statistics.median(end) / base - 1, 4)}
    return out


def rss_series(samples: dict[str, list[tuple[float, int]]], points: int = 12) -> dict[str, list[float]]:
    """Per process: RSS in MB at ``points`` evenly spaced moments (to see the shape of a growth)."""
    out: dict[str, list[float]] = {}
    for name, series in samples.items():
        if series:
            step = max(1, len(series) // points)
            out[name] = [round(kb / 1024, 1) for _t, kb in series[::step]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="plexbooks soak: load, faults, then the invariants")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 300)))
    parser.add_argument("--database", choices=["sqlite", "postgres"], default=os.environ.get("SOAK_DATABASE",
                                                                                             "sqlite"))
    parser.add_argument("--scan-every", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="plexbooks-soak-") as tmp:
        server = None
        url = None
        if args.database == "postgres":
            from tests import postgres
            server = postgres.server()
            url = postgres.new_database(next(server))
        try:
            result = soak(args.seconds, Path(tmp), url, scan_every_s=args.scan_every,
                          log=lambda m: print(m, file=sys.stderr))
        finally:
            if server is not None:
                server.close()
    result["database"] = args.database
    print(json.dumps(result, indent=2) if args.json else _text(result))
    grew = {n: m["growth"] for n, m in result["memory"].items() if m["growth"] >= 0.10}
    ok = not result["errors"] and not grew
    if not ok:
        print(f"FAILED: errors={result['errors'][:5]} memory growth={grew}", file=sys.stderr)
    return 0 if ok else 1


def _text(r: dict[str, Any]) -> str:
    mem = ", ".join(f"{n} {m['rss_mb_after_warmup']}->{m['rss_mb_end']} MB ({m['growth']:+.1%})"
                    for n, m in r["memory"].items())
    return (f"soak on {r['database']}: {r['seconds']} s, {r['webhooks']} webhooks ({r['webhooks_per_s']}/s answered, "
            f"a send {r['webhook_lag_max_s']} s late at worst), "
            f"{r['reads']} API reads, {r['writes']} writes, {r['scans']} scans, {r['faults']} faults; "
            f"{r['albums']} albums mirrored exactly, {r['accepted_events']} accepted events all processed, "
            f"{r['available']}/{r['requests']} requests available, {r['match_lines']} 'Match found!' (none twice); "
            f"memory: {mem}; unexpected ERROR lines: {len(r['errors'])}")


if __name__ == "__main__":
    sys.exit(main())
