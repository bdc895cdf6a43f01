"""The short soak in `make test`: the same driver as `make soak` (tests/soak.py) for about 20
seconds — webhooks at 50/s, API reads and writes, scans, random faults — then the crash-point
invariants, flat memory per process and no ERROR but the injected faults'."""
from __future__ import annotations

import os

from tests.soak import soak

SECONDS = float(os.environ.get("PLEXBOOKS_SHORT_SOAK_SECONDS", "20"))


def test_short_soak_keeps_every_invariant(tmp_path):
    from tests.conftest import current_database
    result = soak(SECONDS, tmp_path, current_database().url_for(tmp_path / "data"), scan_every_s=6.0)
    print(f"short soak: {result}")
    assert result["webhooks"] >= 0.8 * 50 * SECONDS, result        # the load really was 50/s:
    assert result["webhooks_per_s"] >= 0.8 * 50, result             # sent, and answered at that rate
    assert result["scans"] >= 2 and result["faults"] >= 2 and result["reads"] > 0
    assert not result["errors"], result["errors"][:10]
    grew = {name: m for name, m in result["memory"].items() if m["growth"] >= 0.10}
    assert not grew and result["memory"], result["memory"]
