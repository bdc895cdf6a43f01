"""Auto-completion of stuck requests, removal sending requests back, and the recently-added poll."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from plugin import sync
from plugin.models import OPEN_STATUSES, AudiobookRequest, LibraryItem, utcnow


@pytest.fixture
def plex(plex_factory):
    """An empty library: each test adds exactly the books it talks about."""
    return plex_factory(books=0)


def _add_request(runtime, title, author, status="pending", **extra):
    with runtime.session() as s:
        req = AudiobookRequest(title=title, author=author, status=status, error_message=extra.pop("error", None),
                               search_attempts=2, download_attempts=3, import_attempts=1, **extra)
        s.add(req)
        s.flush()
        return req.id


def _get(runtime, request_id) -> AudiobookRequest:
    with runtime.session() as s:
        return s.get(AudiobookRequest, request_id)


def test_every_open_status_completes_and_terminal_ones_do_not(runtime, plex, caplog):
    plex.catalogue.add_album("The Name of the Wind", "Patrick Rothfuss", "Nick Podehl")
    open_ids = {status: _add_request(runtime, "The Name of the Wind", "Patrick Rothfuss", status,
                                     error="stuck") for status in OPEN_STATUSES}
    closed_ids = {status: _add_request(runtime, "The Name of the Wind", "Patrick Rothfuss", status)
                  for status in ("cancelled", "denied")}
    before = utcnow()
    with caplog.at_level(logging.INFO, logger="plugin.lifecycle"):
        summary = sync.full_scan(runtime)
    assert summary["matching"] == {"open": len(OPEN_STATUSES), "matched": len(OPEN_STATUSES)}
    for status, request_id in open_ids.items():
        req = _get(runtime, request_id)
        assert req.status == "available", status
        assert req.error_message is None
        assert (req.search_attempts, req.download_attempts, req.import_attempts) == (0, 0, 0)
        assert req.completed_at is not None and req.completed_at.replace(tzinfo=before.tzinfo) >= before
        assert req.library_item_id is not None and req.match_reason == "fuzzy" and req.match_score >= 0.7
    for status, request_id in closed_ids.items():
        assert _get(runtime, request_id).status == status
    assert ('Match found! "The Name of the Wind" -> "The Name of the Wind" (was \'failed\')'
            in caplog.text)


def test_a_match_is_logged_once_its_transition_is_committed(runtime, plex, caplog):
    """A worker that dies between completing a request and committing has not completed it: the next one
    does, and "Match found!" appears once, for the transition that happened."""
    from sqlalchemy import event

    from plugin import lifecycle
    plex.catalogue.add_album("Mistborn", "Brandon Sanderson")
    sync.full_scan(runtime)
    request_id = _add_request(runtime, "Mistborn", "Brandon Sanderson", "downloaded")

    def dies(_conn) -> None:
        raise RuntimeError("the worker dies before its commit")

    event.listen(runtime.engine, "commit", dies)
    with caplog.at_level(logging.INFO, logger="plugin.lifecycle"):
        with pytest.raises(RuntimeError):
            lifecycle.reconcile(runtime, full=True)
        event.remove(runtime.engine, "commit", dies)
        assert "Match found!" not in caplog.text
        assert _get(runtime, request_id).status == "downloaded"
        assert lifecycle.reconcile(runtime, full=True)["matched"] == 1
    assert caplog.text.count('Match found! "Mistborn"') == 1
    assert _get(runtime, request_id).status == "available"


def test_a_second_scan_does_not_transition_again(runtime, plex):
    plex.catalogue.add_album("Mistborn", "Brandon Sanderson")
    request_id = _add_request(runtime, "Mistborn", "Brandon Sanderson", "downloaded")
    sync.full_scan(runtime)
    first = _get(runtime, request_id).completed_at
    summary = sync.full_scan(runtime)
    assert summary["matching"]["matched"] == 0
    assert _get(runtime, request_id).completed_at == first


def test_removed_book_sends_request_back_to_downloaded(runtime, plex):
    album = plex.catalogue.add_album("Recursion", "Blake Crouch")
    plex.catalogue.add_album("Dark Matter", "Blake Crouch")     # an empty listing would remove nothing
    request_id = _add_request(runtime, "Recursion", "Blake Crouch", "downloaded")
    sync.full_scan(runtime)
    assert _get(runtime, request_id).status == "available"
    plex.catalogue.remove_album(album.rating_key)
    summary = sync.full_scan(runtime)
    assert summary["removed"] == 1
    req = _get(runtime, request_id)
    assert (req.status, req.library_item_id, req.completed_at) == ("downloaded", None, None)


def test_asin_mismatch_never_completes(runtime, plex):
    plex.catalogue.add_album("Dune", "Frank Herbert", asin="B002V1OF70", asin_source="agent", guid_kind="audnexus")
    request_id = _add_request(runtime, "Dune", "Frank Herbert", "downloaded", asin="B00B7NPRY8")
    sync.full_scan(runtime)
    assert _get(runtime, request_id).status == "downloaded"


def test_recent_poll_catches_a_burst_of_a_hundred(make_runtime, plex):
    runtime = make_runtime(plex)
    sync.full_scan(runtime)
    wanted = []
    for i in range(100):
        album = plex.catalogue.add_album(f"Burst Book Number {i} of the Great Flood", f"Writer {i}")
        wanted.append(album)
    request_ids = [_add_request(runtime, a.title, a.parent_title, "downloaded") for a in wanted[::10]]
    summary = sync.recent_poll(runtime)
    assert summary["status"] == "ok", summary
    assert summary["new"] == 100 and summary["total"] >= 100
    assert summary["matching"]["matched"] == len(request_ids)
    assert all(_get(runtime, r).status == "available" for r in request_ids)
    with runtime.session() as s:
        keys = set(s.scalars(select(LibraryItem.rating_key)))
    assert {a.rating_key for a in wanted} <= keys


def test_recent_poll_uses_an_overlap_and_stops_at_the_cutoff(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_RECENT_OVERLAP_MINUTES="10")
    plex.catalogue.add_album("An Early Book", "First Writer")
    sync.full_scan(runtime)
    newest = max(a.added_at for a in plex.catalogue)
    late = plex.catalogue.add_album("A Late Arrival", "Someone", added_at=newest - 300)   # within the overlap
    plex.catalogue.add_album("Too Old To See", "Someone Else", added_at=newest - 3600)   # before the cutoff
    summary = sync.recent_poll(runtime)
    assert summary["cutoff"] == newest - 600
    assert summary["new"] == 1
    with runtime.session() as s:
        assert s.scalar(select(LibraryItem.id).where(LibraryItem.rating_key == late.rating_key))
