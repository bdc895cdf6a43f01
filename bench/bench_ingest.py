"""Matching after a scan, through the code ingest runs (``lifecycle.find_matches``):
10,000 open requests against a 100,000-item mirror.

- cold: the whole mirror against every open request (the first scan of a worker);
- after a scan that changed 100 albums: only those against the open requests, with the
  requests' index kept in the worker between runs (what ingest does after the first full
  reconcile). Reported as a ratio to the cold run of the same process (target <= 5%).
"""
from __future__ import annotations

import time
from collections import namedtuple

from bench.bench_match import _build, _forget_caches
from plugin import lifecycle
from plugin.matching import decision, indexes, numbers, people, sides, sketch, text, titles

Row = namedtuple("Row", "id title author narrator asin duration_ms language status")
CHANGED = 100


def _rows(requests) -> list[Row]:
    return [Row(r.key, r.title, r.author, r.narrator, r.asin, None, None, "pending") for r in requests]


def run(report, quick: bool = False) -> None:
    n_items, n_requests = (20_000, 2_000) if quick else (100_000, 10_000)
    items, requests, _req_books, _books = _build(n_items, n_requests)
    rows = _rows(requests)
    colds, warms, accepted = [], [], 0
    for sample in range(3):
        _forget_caches(numbers, text, titles, sketch, people, sides, decision, indexes)
        lifecycle.REQUEST_INDEX.__init__()          # a worker that has not indexed anything yet
        t0 = time.perf_counter()
        accepted = len(lifecycle.find_matches(rows, items))
        colds.append(time.perf_counter() - t0)
        changed = items[sample * CHANGED:(sample + 1) * CHANGED]
        lifecycle.find_matches(rows, changed[:1])    # the index the worker already holds
        t1 = time.perf_counter()
        lifecycle.find_matches(rows, changed)
        warms.append(time.perf_counter() - t1)
    cold = sorted(colds)[1]
    report(f"match {n_requests} open requests vs {n_items} items, cold", colds, accepted=accepted)
    report(f"match after a scan that changed {CHANGED} albums (index kept)", warms,
           ratio_to_cold=round(sorted(warms)[1] / cold, 4))
