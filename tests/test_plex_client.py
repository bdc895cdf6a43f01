"""The Plex client wrapper against the simulated server: identity, listings, error taxonomy."""
from __future__ import annotations

import socket

import pytest

from plugin.plex import PlexBadResponse, PlexClient, PlexNotFound, PlexUnauthorized, PlexUnreachable


def client_for(plex, token=None, **kwargs) -> PlexClient:
    return PlexClient(plex.url, token or plex.token, client_identifier="plexbooks-test-id", timeout=5, **kwargs)


def test_connection_test_returns_identity(plex):
    info = client_for(plex).server_info()
    assert info.machine_identifier == plex.machine_identifier
    assert info.version and info.platform


def test_every_request_names_plexbooks(plex):
    client = client_for(plex)
    client.server_info()
    list(client.iter_album_pages("3", page_size=10))
    assert plex.requests_log
    for _method, _path, _query, headers in plex.requests_log:
        lowered = {k.lower(): v for k, v in headers.items()}
        assert lowered["x-plex-product"] == "plexbooks"
        assert lowered["x-plex-client-identifier"] == "plexbooks-test-id"
        assert lowered["x-plex-version"]


def test_sections_mark_music_libraries(plex):
    sections = client_for(plex).sections()
    music = [s for s in sections if s.is_music]
    assert "3" in {s.key for s in music}
    assert all(s.type == "artist" for s in music)
    assert any(not s.is_music for s in sections)


def test_album_pages_cover_the_library_exactly_once(plex):
    pages = list(client_for(plex).iter_album_pages("3", page_size=9))
    keys = [a.rating_key for p in pages for a in p.albums]
    assert len(keys) == len(set(keys)) == len(plex.catalogue) == pages[0].total_size


def test_recently_added_sort_and_filter(plex):
    albums = sorted(plex.catalogue, key=lambda a: a.added_at, reverse=True)
    cutoff = albums[4].added_at
    pages = list(client_for(plex).iter_album_pages("3", page_size=3, sort="addedAt:desc", added_since=cutoff))
    got = [a.rating_key for p in pages for a in p.albums]
    assert got == [a.rating_key for a in albums[:5]]


def test_single_album_tracks_and_metadata(plex):
    client = client_for(plex)
    album = list(plex.catalogue)[0]
    record = client.album(album.rating_key)
    assert record.title == album.title and record.guid == album.guid
    tracks = client.tracks(album.rating_key)
    assert tracks and all(t.files and t.duration_ms for t in tracks)
    track_item = client.metadata(tracks[0].rating_key)
    assert track_item.type == "track" and track_item.parent_rating_key == album.rating_key


def test_unknown_item_is_not_found(plex):
    with pytest.raises(PlexNotFound):
        client_for(plex).album("999999999")


def test_delete_tolerates_already_gone(plex):
    client = client_for(plex)
    album = list(plex.catalogue)[0]
    assert client.delete_item(album.rating_key) is True
    assert client.delete_item(album.rating_key) is False


def test_refresh_section(plex):
    client_for(plex).refresh("3", path="/audiobooks/New Book")
    assert any(p.endswith("/refresh") for _m, p, _q, _h in plex.requests_log)


def test_wrong_token_is_unauthorized_and_never_echoed(plex):
    with pytest.raises(PlexUnauthorized) as info:
        client_for(plex, token="wrong-secret-token").server_info()
    assert "wrong-secret-token" not in str(info.value)


def test_closed_port_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PlexUnreachable) as info:
        PlexClient(f"http://127.0.0.1:{port}", "tok", client_identifier="x", timeout=2).server_info()
    assert info.value.retryable


def test_server_errors_are_bad_responses_and_retryable(plex):
    client = client_for(plex)
    client.server_info()
    plex.set_failure("error500", count=1, path="/library/sections/3/all")
    with pytest.raises(PlexBadResponse) as info:
        list(client.iter_album_pages("3"))
    assert info.value.status == 500 and info.value.retryable


def test_malformed_xml_is_a_bad_response(plex):
    client = client_for(plex)
    client.server_info()
    plex.set_failure("malformed_xml", count=1, path="/library/sections/3/all")
    with pytest.raises(PlexBadResponse):
        list(client.iter_album_pages("3"))


def test_slow_plex_times_out_as_unreachable(plex):
    client = PlexClient(plex.url, plex.token, client_identifier="x", timeout=0.5)
    client.server_info()
    plex.set_failure("slow", count=1, path="/library/sections/3/all")
    with pytest.raises(PlexUnreachable):
        list(client.iter_album_pages("3"))
