"""Processing the durable inbox against the simulated Plex: albums, tracks, artists,
deletions, retries with backoff, failures that stay visible, recovery after a crash."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from plugin.inbox import InboxProcessor, NewEvent, enqueue, recover
from plugin.models import AudiobookRequest, InboxEvent, LibraryItem, utcnow
from plugin.notifications import events_from


@pytest.fixture
def plex(plex_factory):
    return plex_factory(books=0)


def _request(runtime, title, author, status="downloaded"):
    with runtime.session() as s:
        req = AudiobookRequest(title=title, author=author, status=status, search_attempts=0, download_attempts=0,
                               import_attempts=0)
        s.add(req)
        s.flush()
        return req.id


def _make_due(runtime):
    with runtime.session() as s:
        s.execute(update(InboxEvent).values(next_attempt_at=utcnow() - timedelta(seconds=1)))


def _events(runtime):
    with runtime.session() as s:
        return list(s.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def _process(runtime, **kwargs):
    _make_due(runtime)
    return InboxProcessor(runtime, **kwargs).run_once()


def test_album_event_mirrors_the_book_and_completes_the_request(runtime, plex):
    album = plex.catalogue.add_album("Children of Time", "Adrian Tchaikovsky", "Mel Hudson", "B01N1IAJ0L")
    request_id = _request(runtime, "Children of Time", "Adrian Tchaikovsky")
    enqueue(runtime, NewEvent("webhook", "library.new", "album", album.rating_key, "3"))
    assert _process(runtime) == 1
    event = _events(runtime)[0]
    assert event.status == "done" and event.outcome["new"] == 1 and event.outcome["matched"] == 1
    with runtime.session() as s:
        item = s.scalars(select(LibraryItem)).one()
        assert item.rating_key == album.rating_key and item.file_paths and item.asin == "B01N1IAJ0L"
        assert s.get(AudiobookRequest, request_id).status == "available"


def test_track_and_artist_events_reach_their_albums(runtime, plex):
    album = plex.catalogue.add_album("The Fifth Season", "N. K. Jemisin", tracks=3)
    other = plex.catalogue.add_album("The Obelisk Gate", "N. K. Jemisin")
    track = album.tracks[1]
    enqueue(runtime, NewEvent("websocket", "timeline.created", "track", track.rating_key, "3"))   # no parent known
    enqueue(runtime, NewEvent("webhook", "library.new", "artist", album.artist_rating_key, "3"))
    _process(runtime)
    assert [e.status for e in _events(runtime)] == ["done", "done"]
    with runtime.session() as s:
        assert set(s.scalars(select(LibraryItem.rating_key))) == {album.rating_key, other.rating_key}


def test_events_for_one_album_share_one_fetch(runtime, plex):
    album = plex.catalogue.add_album("Gideon the Ninth", "Tamsyn Muir", tracks=4)
    for track in album.tracks:
        enqueue(runtime, NewEvent("websocket", "timeline.created", "track", track.rating_key, "3"))
    plex.clear_requests_log()
    _process(runtime)
    album_fetches = [p for m, p, q, h in plex.requests_log if p == f"/library/metadata/{album.rating_key}"]
    assert len(album_fetches) == 1
    assert all(e.status == "done" for e in _events(runtime))


def test_deletion_removes_the_item_and_reopens_requests(runtime, plex):
    album = plex.catalogue.add_album("Anathem", "Neal Stephenson")
    request_id = _request(runtime, "Anathem", "Neal Stephenson")
    enqueue(runtime, NewEvent("webhook", "library.new", "album", album.rating_key, "3"))
    _process(runtime)
    enqueue(runtime, NewEvent("websocket", "timeline.deleted", "album", album.rating_key, "3"))
    _process(runtime)
    with runtime.session() as s:
        assert s.scalars(select(LibraryItem)).all() == []
        assert s.get(AudiobookRequest, request_id).status == "downloaded"


def test_metadata_still_processing_is_retried_then_fails_visibly(runtime, plex):
    album = plex.catalogue.add_album("Exhalation", "Ted Chiang")
    album.guid = ""                     # Plex has not matched it yet
    album.render_cache.clear()
    enqueue(runtime, NewEvent("webhook", "library.new", "album", album.rating_key, "3"))
    _process(runtime, max_attempts=3)
    event = _events(runtime)[0]
    assert event.status == "pending" and event.attempts == 1 and "still processing" in event.last_error
    assert event.next_attempt_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    _process(runtime, max_attempts=3)
    _process(runtime, max_attempts=3)
    event = _events(runtime)[0]
    assert event.status == "failed" and event.attempts == 3
    from plugin.inbox import depth
    assert depth(runtime)["failed"] == 1


def test_plex_down_is_retried_and_the_event_kept(runtime, plex):
    album = plex.catalogue.add_album("Blindsight", "Peter Watts")
    request_id = _request(runtime, "Blindsight", "Peter Watts")
    enqueue(runtime, NewEvent("webhook", "library.new", "album", album.rating_key, "3"))
    plex.set_failure("error503", count=1, path="/library/metadata")
    _process(runtime)
    event = _events(runtime)[0]
    assert event.status == "pending" and event.last_error
    _process(runtime)
    assert _events(runtime)[0].status == "done"
    with runtime.session() as s:
        assert s.get(AudiobookRequest, request_id).status == "available"


def test_recover_after_a_crash_and_processing_twice_transitions_once(runtime, plex):
    album = plex.catalogue.add_album("Hyperion", "Dan Simmons")
    request_id = _request(runtime, "Hyperion", "Dan Simmons")
    enqueue(runtime, NewEvent("webhook", "library.new", "album", album.rating_key, "3"))
    _process(runtime)
    with runtime.session() as s:
        first = s.get(AudiobookRequest, request_id).completed_at
        # as if the worker died after the work but before marking the event done
        s.execute(update(InboxEvent).values(status="processing"))
    assert recover(runtime) == 1
    _process(runtime)
    with runtime.session() as s:
        req = s.get(AudiobookRequest, request_id)
        assert req.status == "available" and req.completed_at == first
        assert s.scalar(select(InboxEvent.status)) == "done"


def _message(*entries):
    return json.dumps({"NotificationContainer": {"type": "timeline", "size": len(entries),
                                                 "TimelineEntry": list(entries)}})


def test_websocket_messages_become_events():
    done_album = {"identifier": "com.plexapp.plugins.library", "sectionID": "3", "itemID": "55", "type": 9,
                  "state": 5, "title": "X"}
    events = events_from(_message(done_album, {**done_album, "type": 10, "itemID": "56"},
                                  {**done_album, "state": 9, "itemID": "57"},
                                  {**done_album, "state": 3}, {**done_album, "sectionID": "1"},
                                  {**done_album, "type": 8}, {**done_album, "state": 9, "type": 10}), {"3"})
    assert [(e.event, e.item_type, e.rating_key) for e in events] == [
        ("timeline.created", "album", "55"), ("timeline.created", "track", "56"), ("timeline.deleted", "album", "57")]
    for garbage in ("", "not json", "[]", '{"NotificationContainer": []}',
                    '{"NotificationContainer": {"type": "timeline", "TimelineEntry": "x"}}',
                    json.dumps({"NotificationContainer": {"type": "playing"}})):
        assert events_from(garbage, {"3"}) == []
