"""`make bench`: run every benchmark and print the medians.

BENCH_ARGS="--only scan" runs one; "--quick" uses smaller sizes for a smoke run.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import time

from bench.common import median

SUITES = ["bench_scan", "bench_match", "bench_ingest", "bench_webhooks", "bench_notify"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", help="run only these suites (scan, match, webhooks, notify)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--json", action="store_true", help="print results as JSON lines too")
    args = parser.parse_args()
    results: list[dict] = []

    def report(name: str, seconds: list[float] | float, **extra) -> None:
        samples = seconds if isinstance(seconds, list) else [seconds]
        row = {"name": name, "median_s": round(median(samples), 4), "samples": [round(s, 4) for s in samples],
               **extra}
        results.append(row)
        extras = " ".join(f"{k}={v}" for k, v in extra.items())
        print(f"{name:55} median {row['median_s']:>9.4f} s  {extras}", flush=True)

    for suite in SUITES:
        short = suite.removeprefix("bench_")
        if args.only and short not in args.only:
            continue
        try:
            module = importlib.import_module(f"bench.{suite}")
        except ModuleNotFoundError:
            continue
        print(f"== {short}", flush=True)
        t0 = time.perf_counter()
        if "quick" in inspect.signature(module.run).parameters:
            module.run(report, quick=args.quick)
        else:
            module.run(report)
        print(f"   ({short} took {time.perf_counter() - t0:.1f} s)", flush=True)
    if args.json:
        for row in results:
            print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
