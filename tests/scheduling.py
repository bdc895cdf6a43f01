"""How `make test` shares the suite between its pytest-xdist workers (`--dist loadfile`).

A unit of work is a whole file, as with plain `loadfile` (a file's module- and session-scoped
fixtures, e.g. the container image or the browser servers, are then made once), except for the
SPLIT files: their tests share nothing but function-scoped fixtures, so each test is a unit of its
own and their long tests spread over both workers. Units are handed out heaviest first (the
classic longest-processing-time rule), so that the workers end together.

SECONDS are each file's test time (all its tests, both databases) from a full run on the shared,
loaded 2-core machine; only their order matters. A file not listed weighs nothing and runs in the
gaps at the end; a SPLIT file's tests each weigh an equal share of the file.
"""
from __future__ import annotations

from typing import Iterable

from xdist.scheduler import LoadFileScheduling

SECONDS = {
    "tests/test_api_fuzz.py": 438, "tests/test_crash.py": 348, "tests/test_worker.py": 216,
    "tests/test_cli.py": 169, "tests/test_notifications_api.py": 168, "tests/test_faults.py": 159,
    "tests/test_requests_api.py": 143, "tests/browser/test_pages.py": 139, "tests/test_accounts.py": 131,
    "tests/test_scan.py": 128, "tests/test_supervisor.py": 116, "tests/test_outbox_delivery.py": 108,
    "tests/test_refresh.py": 95, "tests/test_soak.py": 89, "tests/test_api_basics.py": 88,
    "tests/test_first_run_api.py": 87, "tests/test_matching_corpus.py": 82, "tests/test_matcher.py": 81,
    "tests/test_metrics.py": 58, "tests/test_signin_plex.py": 56, "tests/test_ingest.py": 38,
    "tests/test_request_evidence.py": 37, "tests/test_properties.py": 36, "tests/test_access_walk.py": 34,
    "tests/test_simulator_server.py": 30, "tests/test_db_faults.py": 26, "tests/test_webhooks.py": 26,
    "tests/test_openapi.py": 23, "tests/test_web_server.py": 22, "tests/test_settings_secrets.py": 21,
    # 214 s, but weighed so that it starts after the longest units: `make test` builds its image in
    # the background meanwhile (scripts/build-image-background.sh)
    "tests/test_container.py": 100,
}
SPLIT = {"tests/test_api_fuzz.py", "tests/test_crash.py", "tests/test_worker.py", "tests/test_cli.py",
         "tests/test_faults.py", "tests/test_accounts.py", "tests/test_supervisor.py", "tests/test_outbox_delivery.py",
         "tests/test_soak.py", "tests/test_matching_corpus.py", "tests/test_metrics.py", "tests/test_db_faults.py"}


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
