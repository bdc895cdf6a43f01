"""Real-time path benchmarks.

- webhook intake: a bounded open-loop load of Plex-shaped multipart webhooks at 200 requests/s
  against `plexbooks serve` (2 gunicorn workers, SQLite), latency p50/p99, every accepted
  event checked in the inbox; then the most it takes closed-loop.
- end to end: a book added to the simulated Plex -> its request `available`, via webhook and
  via websocket (the recently-added poll, every 5 minutes, is the baseline it replaces).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import requests
from urllib3 import encode_multipart_formdata

from bench.common import free_port

API_KEY = "bench-api-key"
SECRET = "bench-hook-secret"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Stack:
    """Simulated Plex (in this process) + plexbooks serve and worker (child processes)."""

    def __init__(self, *, websocket: bool, worker: bool = True):
        from plugin.simulator.server import SimulatedPlex
        self.dir = tempfile.TemporaryDirectory()
        self.sim = SimulatedPlex(books=200, seed=3)
        self.sim.start()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PLEXBOOKS_DATA_DIR": self.dir.name, "PLEXBOOKS_PLEX_URL": self.sim.url,
                    "PLEXBOOKS_PLEX_TOKEN": self.sim.token, "PLEXBOOKS_PLEX_LIBRARY": "3",
                    "PLEXBOOKS_API_KEY": API_KEY, "PLEXBOOKS_WEBHOOK_SECRET": SECRET,
                    "PLEXBOOKS_PORT": str(self.port), "PLEXBOOKS_WEB_WORKERS": "2",
                    "PLEXBOOKS_LOG_LEVEL": "WARNING", "PLEXBOOKS_WEBSOCKET_ENABLED": str(websocket).lower()}
        subprocess.run([sys.executable, "-m", "plugin", "scan"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)   # stores the machineIdentifier
        self.procs = [subprocess.Popen([sys.executable, "-m", "plugin", "serve"], env=self.env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        if worker:
            self.procs.append(subprocess.Popen([sys.executable, "-m", "plugin", "worker"], env=self.env,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        self.api = requests.Session()
        self.api.headers["X-Api-Key"] = API_KEY

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(20)
        self.sim.stop()
        self.dir.cleanup()


def _webhook_body(machine_id: str, rating_key: int) -> tuple[bytes, str]:
    payload = {"event": "library.new", "user": True, "owner": True, "Account": {"id": 1, "title": "admin"},
               "Server": {"title": "Plex", "uuid": machine_id},
               "Metadata": {"librarySectionType": "artist", "ratingKey": str(rating_key), "type": "album",
                            "key": f"/library/metadata/{rating_key}", "librarySectionID": "3",
                            "title": f"Bench Book {rating_key}", "parentTitle": "Bench Author"}}
    return encode_multipart_formdata({"payload": json.dumps(payload),
                                      "thumb": ("thumb.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 4000, "image/jpeg")})


def _load_process(args: tuple[str, int, str, float, int, int, int]) -> list[float]:
    """One load process: open loop at ``rate`` on one keep-alive connection. Latency runs from
    the scheduled send time, so falling behind shows up instead of being hidden."""
    import http.client
    host_port, port, path, start, rate, count, first_key = args
    machine_id = host_port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    bodies = [_webhook_body(machine_id, first_key + i) for i in range(count)]
    out: list[float] = []
    for i, (data, ctype) in enumerate(bodies):
        due = start + i / rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        conn.request("POST", path, body=data, headers={"Content-Type": ctype})
        response = conn.getresponse()
        response.read()
        out.append(time.time() - due if response.status == 202 else -1.0)
    conn.close()
    return out


def _load(stack: "Stack", processes: int, rate_each: int, seconds: int, first_key: int) -> tuple[list[float], float]:
    from concurrent.futures import ProcessPoolExecutor
    path = f"/webhooks/plex/{SECRET}"
    start = time.time() + 1.5 + processes * 0.05
    count = rate_each * seconds
    jobs = [(stack.sim.machine_identifier, stack.port, path, start + p / (rate_each * processes), rate_each,
             count, first_key + p * count) for p in range(processes)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        results = list(pool.map(_load_process, jobs))
    wall = time.time() - start
    return [x for r in results for x in r], wall


def intake(report, quick: bool) -> None:
    stack = Stack(websocket=False, worker=False)      # intake only: nothing drains the inbox meanwhile
    try:
        seconds = 5 if quick else 15
        _load(stack, 2, 50, 2, 10_000)          # warm-up: first requests of each gunicorn worker
        for processes, rate_each in ((4, 50), (8, 50)):
            rate = processes * rate_each
            latencies, wall = _load(stack, processes, rate_each, seconds, 100_000 * processes)
            ok = [x for x in latencies if x >= 0]
            before = stack.api.get(f"{stack.base}/api/v1/status").json()["inbox"]["pending"]
            report(f"webhook intake at {rate}/s for {seconds}s (open loop)", [statistics.median(ok)],
                   p50_ms=round(statistics.median(ok) * 1000, 1), p99_ms=round(_percentile(ok, 0.99) * 1000, 1),
                   throughput_rps=round(len(latencies) / wall, 1), accepted=len(ok),
                   rejected=len(latencies) - len(ok), inbox_total=before)
    finally:
        stack.close()


def end_to_end(report, quick: bool, path: str) -> None:
    stack = Stack(websocket=path == "websocket")
    try:
        if path == "webhook":
            stack.sim.set_webhook_urls([f"{stack.base}/webhooks/plex/{SECRET}"])
        time.sleep(3)            # let the worker finish its start-up scan and connect
        samples: list[float] = []
        for i in range(10 if quick else 30):
            title = f"Benchmark Arrival Number {i} of the Long Night"
            req = stack.api.post(f"{stack.base}/api/v1/requests",
                                 json={"title": title, "author": "Bench Writer", "status": "downloaded"}).json()
            t0 = time.perf_counter()
            requests.post(f"{stack.sim.url}/_simulator/albums", json={"title": title, "author": "Bench Writer"},
                          timeout=5)
            while time.perf_counter() - t0 < 30:
                if stack.api.get(f"{stack.base}/api/v1/requests/{req['id']}").json()["status"] == "available":
                    break
                time.sleep(0.02)
            samples.append(time.perf_counter() - t0)
        report(f"end to end, book added -> request available ({path})", samples,
               p95_s=round(_percentile(samples, 0.95), 3), max_s=round(max(samples), 3),
               poll_baseline_mean_s=150.0)
    finally:
        stack.close()


def run(report, quick: bool = False) -> None:
    intake(report, quick)
    end_to_end(report, quick, "webhook")
    end_to_end(report, quick, "websocket")
