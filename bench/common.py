"""Helpers shared by the benchmarks: a simulated Plex in its own process, timing, memory."""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import requests

TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def simulator(books: int, seed: int = 7, extra: list[str] | None = None) -> Iterator[str]:
    """Run ``plexbooks simulate`` in its own process (its own GIL) and yield its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "plugin", "simulate", "--port", str(port), "--books", str(books),
           "--seed", str(seed), "--token", TOKEN, *(extra or [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/identity", headers={"X-Plex-Token": TOKEN}, timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _tree_rss_kb(pid: int, parts: list[tuple[int, str]] | None = None) -> int:
    """Resident memory of a process and all its descendants, from /proc; each process's
    (kB, command line) into ``parts`` when given."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        if parts is not None:
                            with open(f"/proc/{current}/cmdline") as cmd:
                                parts.append((int(line.split()[1]), cmd.read().replace("\0", " ").strip()))
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def run_child(cmd: list[str], env: dict[str, str],
              at_peak: list[tuple[int, str]] | None = None) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak RSS in MB of it and its children together, stdout).
    ``at_peak`` receives (MB, command line) of each process at the peak."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            parts: list[tuple[int, str]] = []
            total = _tree_rss_kb(proc.pid, parts)
            if total > peak:
                peak = total
                if at_peak is not None:
                    at_peak[:] = [(kb // 1024, command) for kb, command in parts]
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait()
    stop.set()
    sampler.join()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {out[-2000:]}")
    return elapsed, peak // 1024, out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
