"""Full library scan against the simulated Plex over HTTP, into a real SQLite file."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from plugin import state, sync
from plugin.models import JobRun, LibraryItem


@pytest.fixture(params=["in_process", "child_processes"])
def listing(request) -> dict[str, str]:
    """Both ways a scan reads Plex: threads in this process, or child processes (large sections)."""
    return {"PLEXBOOKS_SCAN_SUBPROCESS_MIN_ALBUMS": "1000000" if request.param == "in_process" else "0"}


def _count(runtime) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(LibraryItem))


def _writes(runtime):
    """Record every INSERT/UPDATE/DELETE the engine sends to the mirror table."""
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        head = statement.lstrip().split(None, 1)[0].upper()
        if head in ("INSERT", "UPDATE", "DELETE") and "library_items" in statement:
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", before)
    return seen


def test_full_scan_mirrors_every_album(make_runtime, plex, listing):
    runtime = make_runtime(plex, **listing)
    summary = sync.full_scan(runtime)
    assert summary["status"] == "ok", summary
    n = len(plex.catalogue)
    assert (summary["total"], summary["new"], summary["updated"], summary["unchanged"]) == (n, n, 0, 0)
    assert summary["removed"] == 0 and summary["skipped"] == 0 and summary["error"] is None
    assert _count(runtime) == n
    with runtime.session() as s:
        run = s.scalars(select(JobRun)).one()
        assert run.job == "full_scan" and run.status == "ok" and run.summary["total"] == n
    assert state.machine_identifier(runtime) == plex.machine_identifier


def test_pages_through_small_pages(make_runtime, plex, listing):
    runtime = make_runtime(plex, PLEXBOOKS_SCAN_PAGE_SIZE="7", **listing)
    summary = sync.full_scan(runtime)
    assert summary["total"] == len(plex.catalogue) == _count(runtime)
    pages = [q for m, p, q, h in plex.requests_log if p.endswith("/all") and q.get("X-Plex-Container-Size") != "0"]
    assert len(pages) == -(-len(plex.catalogue) // 7)


def test_rescan_with_nothing_changed_writes_nothing(make_runtime, plex, listing):
    runtime = make_runtime(plex, **listing)
    sync.full_scan(runtime)
    writes = _writes(runtime)
    summary = sync.full_scan(runtime)
    assert summary["unchanged"] == len(plex.catalogue) and summary["new"] == summary["updated"] == 0
    assert writes == []


def test_changed_and_removed_albums(make_runtime, plex, listing):
    runtime = make_runtime(plex, **listing)
    sync.full_scan(runtime)
    albums = list(plex.catalogue)
    changed, gone = albums[0], albums[1]
    new_title = changed.title + " (Remastered)"
    plex.catalogue.update_album(changed.rating_key, title=new_title)
    plex.catalogue.remove_album(gone.rating_key)
    summary = sync.full_scan(runtime)
    assert (summary["updated"], summary["removed"]) == (1, 1), summary
    with runtime.session() as s:
        titles = set(s.scalars(select(LibraryItem.title)))
    assert new_title in titles and gone.title not in titles


def test_asins_come_from_guids_and_not_from_plex_hashes(runtime, plex):
    sync.full_scan(runtime)
    with runtime.session() as s:
        items = s.scalars(select(LibraryItem)).all()
    agent = [i for i in items if i.guid.startswith(("com.plexapp.agents.audnexus://",
                                                     "com.plexapp.agents.audible://"))]
    hashed = [i for i in items if i.guid.startswith("plex://") and not i.external_guids]
    assert agent and hashed, "the sample library has both kinds of guid"
    for item in agent:
        assert item.asin and item.asin in item.guid.upper() and item.asin_source == "guid"
    for item in hashed:
        # a plex:// hash is never an ASIN: only the album's files can name one
        assert item.asin is None or (item.asin_source == "path" and item.asin not in item.guid.upper())


def test_track_details_bring_file_paths_and_path_asins(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_SCAN_DETAILS_LIMIT="1000")
    summary = sync.full_scan(runtime)
    assert summary["details"]["fetched"] == len(plex.catalogue) and summary["details"]["pending"] == 0
    with runtime.session() as s:
        items = s.scalars(select(LibraryItem)).all()
    assert all(item.file_paths and item.duration_ms for item in items)
    bracketed = [i for i in items if i.asin_source == "path"]
    assert bracketed, "the sample library has books with [ASIN] folders and plex:// guids"
    for item in bracketed:
        assert any(f"[{item.asin}]" in path for path in item.file_paths)


def _assert_failed_cleanly(runtime, summary, error_class, before):
    assert summary["status"] == "failed" and summary["error_class"] == error_class, summary
    assert summary["error"]
    assert _count(runtime) == before
    with runtime.session() as s:
        run = s.scalars(select(JobRun).order_by(JobRun.id.desc())).first()
        assert run.status == "failed" and run.error_class == error_class


def test_plex_unreachable(make_runtime, plex):
    runtime = make_runtime(plex)
    sync.full_scan(runtime)
    before = _count(runtime)
    plex.stop()
    _assert_failed_cleanly(runtime, sync.full_scan(runtime), "plex_unreachable", before)


def test_wrong_token(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_PLEX_TOKEN="not-the-token")
    _assert_failed_cleanly(runtime, sync.full_scan(runtime), "plex_unauthorized", 0)


def test_server_error_mid_scan_changes_nothing(make_runtime, plex, listing):
    runtime = make_runtime(plex, PLEXBOOKS_SCAN_PAGE_SIZE="10", **listing)
    sync.full_scan(runtime)
    before = _count(runtime)
    plex.catalogue.remove_album(list(plex.catalogue)[0].rating_key)
    plex.set_failure("error500", count=1, path="/library/sections/3/all", after=2)
    _assert_failed_cleanly(runtime, sync.full_scan(runtime), "plex_bad_response", before)


def test_malformed_xml_page(make_runtime, plex, listing):
    runtime = make_runtime(plex, PLEXBOOKS_SCAN_PAGE_SIZE="10", **listing)
    plex.set_failure("malformed_xml", count=1, path="/library/sections/3/all", after=1)
    _assert_failed_cleanly(runtime, sync.full_scan(runtime), "plex_bad_response", 0)


def test_container_without_total_size(make_runtime, plex, listing):
    runtime = make_runtime(plex, **listing)
    plex.set_failure("no_total_size", count=1, path="/library/sections/3/all")
    summary = sync.full_scan(runtime)
    _assert_failed_cleanly(runtime, summary, "plex_bad_response", 0)
    assert "totalSize" in summary["error"]


def test_connection_dropped_mid_scan(make_runtime, plex, listing):
    runtime = make_runtime(plex, PLEXBOOKS_SCAN_PAGE_SIZE="10", **listing)
    sync.full_scan(runtime)
    before = _count(runtime)
    plex.catalogue.remove_album(list(plex.catalogue)[0].rating_key)
    plex.set_failure("drop_connection", count=1, path="/library/sections/3/all", after=1)
    summary = sync.full_scan(runtime)
    assert summary["error_class"] in ("plex_unreachable", "plex_bad_response")
    _assert_failed_cleanly(runtime, summary, summary["error_class"], before)


def test_empty_listing_never_wipes_the_mirror(make_runtime, plex):
    runtime = make_runtime(plex)
    sync.full_scan(runtime)
    before = _count(runtime)
    for album in list(plex.catalogue):
        plex.catalogue.remove_album(album.rating_key)
    summary = sync.full_scan(runtime)
    assert summary["status"] == "ok" and summary["removed"] == 0 and "removal_note" in summary
    assert _count(runtime) == before


def test_albums_without_guid_or_title_are_skipped(make_runtime, plex, listing):
    runtime = make_runtime(plex, **listing)
    albums = list(plex.catalogue)
    albums[0].guid = ""                      # Plex sometimes lists an album before it has a guid
    albums[0].render_cache.clear()
    plex.catalogue.update_album(albums[1].rating_key, title="")
    summary = sync.full_scan(runtime)
    assert summary["status"] == "ok"
    assert summary["skipped"] == 2
    assert summary["skipped_reasons"] == {"missing_guid": 1, "missing_title": 1}
    assert _count(runtime) == len(albums) - 2


def test_status_reports_why_the_last_scan_failed(make_runtime, plex, ):
    from plugin.status import status
    runtime = make_runtime(plex, PLEXBOOKS_PLEX_TOKEN="wrong")
    sync.full_scan(runtime)
    report = status(runtime)
    assert report["last_scan"]["status"] == "failed"
    assert report["last_scan"]["error_class"] == "plex_unauthorized"
    assert report["plex"]["reachable"] is False and report["plex"]["error_class"] == "plex_unauthorized"
    assert "wrong" not in str(report)


def test_not_configured(make_runtime, plex):
    runtime = make_runtime(None)
    summary = sync.full_scan(runtime)
    assert summary["status"] == "failed" and summary["error_class"] == "not_configured"
    assert set(summary["fields"]) >= {"plex_url", "plex_token"} or "plex_library" in summary["fields"]


def test_look_up_keys_are_the_same_whichever_process_read_the_listing(make_runtime, plex, listing):
    """Child processes derive the titles' look-up keys for the writer: they must be exactly the
    keys the writer would derive (the migration's backfill derives them afresh)."""
    from plugin.matching.candidates import KEYS, backfill_keys

    runtime = make_runtime(plex, **listing)
    assert sync.full_scan(runtime)["status"] == "ok"
    with runtime.engine.begin() as conn:
        written = sorted(conn.execute(select(KEYS.c.key, KEYS.c.item_id)).all())
        conn.execute(KEYS.delete())
        backfill_keys(conn)
        derived = sorted(conn.execute(select(KEYS.c.key, KEYS.c.item_id)).all())
    assert written == derived and len(written) >= len(plex.catalogue)


def test_a_listing_child_imports_only_what_it_reads_with():
    """A listing child starts on every large scan: it must not pay for plexapi, cryptography or
    the matcher's decision, which it never uses (each costs the scan tens of milliseconds)."""
    import subprocess
    import sys

    probe = ("import sys, plugin.listing, plugin.matching.keys; "
             "print(' '.join(m for m in ('plexapi', 'cryptography', 'plugin.matching.decision', 'sqlalchemy') "
             "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.split() == []


def test_a_listing_childs_pipe_is_widened():
    import fcntl
    import os
    from pathlib import Path

    from plugin import listing

    limit = Path("/proc/sys/fs/pipe-max-size")
    if not hasattr(fcntl, "F_GETPIPE_SZ") or not limit.exists() or int(limit.read_text()) < listing.PIPE_BYTES:
        pytest.skip("this system does not let a process widen its pipes that far")
    read, write = os.pipe()
    try:
        listing._widen_pipe(read)
        assert fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) == listing.PIPE_BYTES
    finally:
        os.close(read)
        os.close(write)


def _listing_children() -> list[int]:
    """This process's children running ``plugin.listing``."""
    import os
    from pathlib import Path

    from tests.soak import children

    found = []
    for pid in children(os.getpid()):
        try:
            if b"plugin.listing" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_listing_children_started_early_end_with_a_scan_that_fails_before_listing(make_runtime, plex, monkeypatch):
    """A large section's readers start before the mirror's fingerprints are read; a scan that
    fails there (a database error) must not leave them behind."""
    from plugin.mirror import MirrorWriter

    runtime = make_runtime(plex, PLEXBOOKS_SCAN_SUBPROCESS_MIN_ALBUMS="0")
    started = []
    real_init = sync.Readers.__init__

    def counting_init(self, count=None):
        real_init(self, count)
        started.append(len(self.children))

    def broken_load(self, *, defer_indexes=False):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sync.Readers, "__init__", counting_init)
    monkeypatch.setattr(MirrorWriter, "load_all", broken_load)
    summary = sync.full_scan(runtime)
    assert summary["status"] == "failed", summary
    assert started and started[0] >= 1
    assert _listing_children() == []
    assert _count(runtime) == 0
