"""Crash points: the worker is killed (SIGKILL) at 20 random moments of a full scan, a
recently-added poll and a webhook burst, and started again each time. Afterwards the mirror
equals the simulator's truth after the next scan, every accepted event was processed exactly
once in effect, and no request was completed twice. On SQLite and on PostgreSQL."""
from __future__ import annotations

import random
import time

import pytest

from tests.processes import wait_for
from tests.soak import Stack

KILLS = {"full_scan": 7, "poll": 7, "webhook_burst": 6}


@pytest.fixture
def stack(tmp_path):
    from tests.conftest import current_database
    stack = Stack(tmp_path, current_database().url_for(tmp_path / "data"), books=240, page_size=20)
    # each listing page and metadata answer takes a little while, so a scan or a burst spans
    # a second or two and a kill lands inside it
    stack.plex.set_failure("slow", None, path="/library/sections/3/all", seconds=0.08)
    yield stack
    stack.stop()


def _running(stack: Stack) -> bool:
    worker = stack.api("GET", "/api/v1/jobs").json()["worker"]
    return bool(worker and worker.get("alive") and worker.get("pid") == stack.worker.pid)


def test_kill_9_at_random_moments_loses_nothing_and_completes_each_request_once(stack):
    rnd = random.Random(20)
    stack.start_web()
    moments: list[tuple[str, float]] = []
    for scenario, kills in KILLS.items():
        for _ in range(kills):
            stack.start_worker()
            wait_for(lambda: _running(stack), 30, 0.1, "the worker up")
            if scenario == "full_scan":
                for _book in range(3):
                    stack.new_book(webhooks=False)
                stack.run_job("full_scan")
            elif scenario == "poll":
                for _book in range(15):
                    stack.new_book(webhooks=False)
                stack.run_job("recently_added")
            else:
                for _book in range(4):
                    album = stack.new_book(webhooks=True)     # one webhook per track, posted by Plex
                    stack.post_webhook(album)                # and a replay of our own
            moment = rnd.uniform(0.05, 1.5)
            time.sleep(moment)
            stack.kill_worker()
            moments.append((scenario, round(moment, 2)))
    assert stack.kills == sum(KILLS.values()) == 20
    stack.plex.clear_failures()
    stack.settle()
    checked = stack.check_invariants()
    assert checked["requests"] == len(stack.requests_made) and checked["available"] == checked["requests"]
    print(f"crash points: {moments}; {checked}")
