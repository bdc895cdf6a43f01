"""How `make test` shares the suite between its pytest-xdist workers (`--dist loadfile`).

A unit of work is a whole file, as with plain `loadfile` (a file's module- and session-scoped
fixtures, e.g. the container image or the browser servers, are then made once), except for the
SPLIT files: their tests share nothing but function-scoped fixtures, so each test is a unit of its
own and their long tests spread over the workers. Units are handed out heaviest first (the
classic longest-processing-time rule), so that the workers end together.

SECONDS are each file's test time (all its tests, both databases) from a full run on the quiet
2-core machine (the fuzzing and websocket-fault times as they are since); only their order matters. A file not listed weighs nothing and runs in the
gaps at the end; a SPLIT file's tests each weigh an equal share of the file.
"""
from __future__ import annotations

from typing import Iterable

from xdist.scheduler import LoadFileScheduling

SECONDS = {
    "tests/test_crash.py": 137, "tests/test_api_fuzz.py": 130, "tests/test_faults.py": 111,
    "tests/test_scan.py": 88, "tests/browser/test_pages.py": 81, "tests/test_worker.py": 80,
    "tests/test_soak.py": 64, "tests/test_cli.py": 60, "tests/test_outbox_delivery.py": 54,
    "tests/test_accounts.py": 48, "tests/test_refresh.py": 45, "tests/test_notifications_api.py": 42,
    "tests/test_requests_api.py": 40, "tests/test_supervisor.py": 36, "tests/test_api_basics.py": 35,
    "tests/test_signin_plex.py": 31, "tests/test_first_run_api.py": 29, "tests/test_ingest.py": 28,
    "tests/test_matching_corpus.py": 26, "tests/test_metrics.py": 20, "tests/test_properties.py": 19,
    "tests/test_request_evidence.py": 18, "tests/test_matcher.py": 17, "tests/test_webhooks.py": 15,
    "tests/test_access_walk.py": 13, "tests/test_simulator_server.py": 11, "tests/test_user_ratings.py": 11,
    "tests/test_db_faults.py": 11, "tests/test_openapi.py": 10, "tests/test_lifecycle.py": 9,
    # 74 s, but weighed so that it starts after the longest units: `make test` builds its image in
    # the background meanwhile (scripts/build-image-background.sh)
    "tests/test_container.py": 50,
}
SPLIT = {"tests/test_api_fuzz.py", "tests/test_crash.py", "tests/test_worker.py", "tests/test_cli.py",
         "tests/test_faults.py", "tests/test_accounts.py", "tests/test_supervisor.py", "tests/test_outbox_delivery.py",
         "tests/test_soak.py", "tests/test_matching_corpus.py", "tests/test_metrics.py", "tests/test_db_faults.py",
         "tests/test_scan.py", "tests/test_refresh.py", "tests/test_notifications_api.py", "tests/test_requests_api.py",
         "tests/test_api_basics.py", "tests/test_signin_plex.py", "tests/test_first_run_api.py", "tests/test_ingest.py"}


def path_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str) -> str:
    path = path_of(nodeid)
    return nodeid if path in SPLIT else path


def weights(nodeids: Iterable[str]) -> dict[str, float]:
    """Each test's weight: the weight of the unit it belongs to."""
    ids = list(nodeids)
    count: dict[str, int] = {}
    for nodeid in ids:
        count[path_of(nodeid)] = count.get(path_of(nodeid), 0) + 1
    out: dict[str, float] = {}
    for nodeid in ids:
        path = path_of(nodeid)
        seconds = SECONDS.get(path, 0)
        out[nodeid] = seconds / count[path] if path in SPLIT else seconds
    return out


class LongestFirst(LoadFileScheduling):
    """`loadfile` with the units above, handed out in collection order (sorted by weight in
    tests/conftest.py) instead of xdist's default order (most tests first)."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False     # what --no-loadscope-reorder sets

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)
