"""Telling the host app: outbound webhooks and refresh after import.

- book added in the simulator (its webhook to plexbooks) -> signed ``library.added`` webhook
  verified by a local receiver, p95 (target <= 1.5 s)
- folder filled in the simulator -> ``POST /api/v1/library/refresh`` -> request available, p95
  (needs the simulator's ``POST /_simulator/folders``; reported as skipped without it)
- the receiver down for 30 s while events happen: every event arrives after it comes back
- the cost of the outbox in a full scan of 100,000 new albums: nobody subscribed to
  ``library.added`` (the floor) against a target that is
"""
from __future__ import annotations

import json
import sys
import tempfile
import time

import requests

from bench.bench_webhooks import SECRET, Stack, _percentile
from bench.common import TOKEN, run_child, simulator
from tests.receiver import Receiver


def _target(stack: Stack, receiver: Receiver, events: list[str]) -> dict:
    body = stack.api.post(f"{stack.base}/api/v1/notifications/targets",
                          json={"url": receiver.url, "events": events}).json()
    receiver.secret = body["secret"]
    return body


def _wait(check, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def webhook_latency(report, quick: bool) -> None:
    stack = Stack(websocket=False)
    receiver = Receiver()
    try:
        stack.sim.set_webhook_urls([f"{stack.base}/webhooks/plex/{SECRET}"])
        _target(stack, receiver, ["library.added"])
        time.sleep(3)               # the worker's start-up poll
        samples: list[float] = []
        for i in range(10 if quick else 30):
            title = f"Signed Arrival Number {i} of the Short Day"

            def arrived(title: str = title) -> bool:      # bound now: B023
                return any(e["body"]["data"]["library_item"]["title"] == title
                           for e in receiver.unique().values())
            t0 = time.perf_counter()
            requests.post(f"{stack.sim.url}/_simulator/albums", json={"title": title, "author": "Bench Writer"},
                          timeout=5)
            _wait(arrived, 30)
            samples.append(time.perf_counter() - t0)
        assert receiver.bad_signatures == 0
        report("book added -> signed webhook received", samples, p95_s=round(_percentile(samples, 0.95), 3),
               max_s=round(max(samples), 3), target_p95_s=1.5)
    finally:
        receiver.stop()
        stack.close()


def refresh_latency(report, quick: bool) -> None:
    stack = Stack(websocket=True)
    try:
        probe = requests.post(f"{stack.sim.url}/_simulator/folders", json={}, timeout=5)
        if probe.status_code == 404:
            print("   folder filled -> refresh -> available: skipped, the simulator has no /_simulator/folders")
            return
        time.sleep(3)
        samples: list[float] = []
        for i in range(10 if quick else 20):
            title, author = f"Imported Volume Number {i} of the Quiet Sea", "Bench Writer"
            path = f"/audiobooks/{author}/{title}"
            req = stack.api.post(f"{stack.base}/api/v1/requests",
                                 json={"title": title, "author": author, "status": "downloading"}).json()
            t0 = time.perf_counter()
            requests.post(f"{stack.sim.url}/_simulator/folders", json={"path": path, "title": title,
                                                                       "author": author}, timeout=5).raise_for_status()
            stack.api.patch(f"{stack.base}/api/v1/requests/{req['id']}",
                            json={"status": "downloaded", "path": path}).raise_for_status()
            url = f"{stack.base}/api/v1/requests/{req['id']}"
            _wait(lambda url=url: stack.api.get(url).json()["status"] == "available", 30)
            samples.append(time.perf_counter() - t0)
        report("folder filled -> refresh -> request available", samples,
               p95_s=round(_percentile(samples, 0.95), 3), max_s=round(max(samples), 3))
    finally:
        stack.close()


def outage(report, quick: bool) -> None:
    down_s = 10.0 if quick else 30.0
    stack = Stack(websocket=False)
    receiver = Receiver()
    try:
        _target(stack, receiver, ["request.created"])
        receiver.stop()
        t_down = time.perf_counter()
        ids = []
        while time.perf_counter() - t_down < down_s:
            ids.append(stack.api.post(f"{stack.base}/api/v1/requests",
                                      json={"title": f"Made during the outage {len(ids)}"}).json()["id"])
            time.sleep(down_s / 20)
        receiver.start()
        t_up = time.perf_counter()
        ok = _wait(lambda: len(receiver.unique()) == len(ids), 120)
        got = sorted(e["body"]["data"]["request"]["id"] for e in receiver.unique().values())
        assert ok and got == ids, (len(got), len(ids))
        report(f"receiver down {down_s:.0f} s -> all events after it is back", [time.perf_counter() - t_up],
               events=len(ids), duplicates=len(receiver.received) - len(receiver.unique()))
    finally:
        receiver.stop()
        stack.close()


SUBSCRIBE = """
import sys
from plugin.runtime import Runtime
from plugin.models import NotificationTarget
runtime = Runtime()
with runtime.session() as s:
    s.add(NotificationTarget(kind="webhook", url=runtime.vault.encrypt("http://127.0.0.1:9/"), events=%r,
                             enabled=True, consecutive_failures=0))
"""


def scan_cost(report, quick: bool) -> None:
    books = 20_000 if quick else 100_000
    with simulator(books) as url:
        results: dict[str, list[float]] = {"none": [], "request events": [], "library.added": []}
        for _ in range(2 if quick else 3):
            for case, events in (("none", None), ("request events", ["request.available"]),
                                 ("library.added", ["library.added"])):
                with tempfile.TemporaryDirectory() as d:
                    env = {"PLEXBOOKS_DATA_DIR": d, "PLEXBOOKS_PLEX_URL": url, "PLEXBOOKS_PLEX_TOKEN": TOKEN,
                           "PLEXBOOKS_PLEX_LIBRARY": "3", "PLEXBOOKS_SCAN_DETAILS_LIMIT": "0",
                           "PLEXBOOKS_LOG_LEVEL": "WARNING"}
                    if events:
                        run_child([sys.executable, "-c", SUBSCRIBE % (events,)], env)
                    _, _, out = run_child([sys.executable, "-m", "plugin", "scan", "--json"], env)
                    summary = json.loads(out)
                    assert summary["status"] == "ok" and summary["new"] == books, summary
                    results[case].append(summary["duration_s"])
        floor = sorted(results["none"])[len(results["none"]) // 2]
        report(f"full scan {books} new albums, no target", results["none"])
        for case in ("request events", "library.added"):
            median = sorted(results[case])[len(results[case]) // 2]
            report(f"full scan {books} new albums, a target for {case}", results[case],
                   ratio_to_no_target=round(median / floor, 2))


def run(report, quick: bool = False) -> None:
    webhook_latency(report, quick)
    refresh_latency(report, quick)
    outage(report, quick)
    scan_cost(report, quick)
