"""plexbooks' own Plex parser against the recordings of real servers, and against the text
real servers send that XML forbids (python-plexapi issue #1450)."""
from __future__ import annotations

import gc

import pytest
import requests
import requests_mock
from plexapi.server import PlexServer

from plugin.plex import PlexBadResponse, PlexClient
from plugin.plex.stream import clean_xml, parse_album_page, parse_document, parse_track_page
from tests.test_simulator_fidelity import (
    _STAND_IN_ROOT,
    RECORDED,
    TOKEN,
    _read,
    _tracks_json_as_xml,
)


def _as_listing(xml: str, total: int = 1) -> str:
    """A recorded container as the page of a listing (recordings of single items carry no
    totalSize; a listing page always does)."""
    return xml.replace("<MediaContainer ", f'<MediaContainer totalSize="{total}" offset="0" ', 1)


@pytest.fixture
def replay():
    session = requests.Session()
    adapter = requests_mock.Adapter()
    session.mount(RECORDED, adapter)
    adapter.register_uri("GET", f"{RECORDED}/", text=_STAND_IN_ROOT)
    adapter.register_uri("GET", f"{RECORDED}/library/sections", text=_read("ha_library_sections.xml"))
    adapter.register_uri("GET", f"{RECORDED}/library/metadata/200", text=_read("ha_album.xml"))
    adapter.register_uri("GET", f"{RECORDED}/library/metadata/200/children", text=_tracks_json_as_xml())
    yield session, adapter
    session.close()


def _client(session) -> PlexClient:
    return PlexClient(RECORDED, TOKEN, client_identifier="plexbooks-test", session=session)


def test_sections_as_recorded(replay):
    session, _ = replay
    sections = {s.key: s for s in _client(session).sections()}
    music = sections["3"]
    assert music.is_music and music.title == "Music" and music.locations
    assert not sections["1"].is_music


def test_album_as_recorded_agrees_with_plexapi(replay):
    session, _ = replay
    ours = _client(session).album("200")
    theirs = PlexServer(RECORDED, TOKEN, session=session).fetchItem(200)
    assert (ours.rating_key, ours.guid, ours.title, ours.parent_title) == \
        (str(theirs.ratingKey), theirs.guid, theirs.title, theirs.parentTitle)
    assert ours.added_at == int(theirs.addedAt.timestamp()) and ours.section_key == "3"
    assert (ours.summary or "") == theirs.summary


def test_tracks_as_recorded_agree_with_plexapi(replay):
    session, _ = replay
    ours = _client(session).tracks("200")
    theirs = PlexServer(RECORDED, TOKEN, session=session).fetchItem(200).tracks()
    assert ours and len(ours) == len(theirs)
    for track, expected in zip(ours, theirs):
        assert track.files == tuple(p.file for m in expected.media for p in m.parts)
        assert track.duration_ms == expected.duration and track.title == expected.title


def test_recorded_album_as_a_listing_page(replay):
    page = parse_album_page([_as_listing(_read("ha_album.xml")).encode()], "3", 0, "the recording")
    assert page.total_size == 1 and not page.cleaned
    [album] = [a.record() for a in page.albums]
    assert album.title == "Album" and album.guid == "plex://album/12345"


def test_recorded_tracks_as_a_track_listing_page():
    xml = _as_listing(_tracks_json_as_xml(), total=2)
    page = parse_track_page([xml.encode()], 0, "the recording")
    assert page.tracks and all(t.parent_rating_key and t.files for t in page.tracks)


@pytest.mark.parametrize("dirt", ["\x04", "\x0b", "\x00", "\x1f\x08", "&#4;", "&#x0B;", "\ufffe"])
def test_forbidden_characters_are_removed_and_the_rest_kept(dirt):
    recorded = _as_listing(_read("ha_album.xml"))
    dirty = recorded.replace('title="Album"', f'title="Al{dirt}bum"', 1)
    assert dirty != recorded
    # split into small chunks: the error may come after the first chunks were parsed
    data = dirty.encode()
    chunks = [data[i:i + 100] for i in range(0, len(data), 100)]
    page = parse_album_page(chunks, "3", 0, "a dirty page")
    assert page.cleaned and [a.record().title for a in page.albums] == ["Album"]
    clean = parse_album_page([recorded.encode()], "3", 0, "the recording")
    assert [a.attrs for a in page.albums] == [a.attrs for a in clean.albums]


def test_allowed_text_survives_untouched():
    text = 'Ünïcödé &amp; 日本語 עברית 🎧 line&#10;break &#x1F3A7; tab&#9;here'
    xml = f'<MediaContainer size="1" totalSize="1"><Directory type="album" ratingKey="1" guid="g" ' \
          f'title="{text}" /></MediaContainer>'
    page = parse_album_page([xml.encode()], "3", 0, "a page")
    assert not page.cleaned
    assert page.albums[0].attrs["title"] == 'Ünïcödé & 日本語 עברית 🎧 line\nbreak 🎧 tab\there'
    assert clean_xml(xml.encode()) == xml.encode()


def test_invalid_utf8_is_replaced_not_fatal():
    xml = b'<MediaContainer size="1" totalSize="1"><Directory type="album" ratingKey="1" guid="g" ' \
          b'title="caf\xe9 au lait" /></MediaContainer>'
    page = parse_album_page([xml], "3", 0, "a page")
    assert page.cleaned and page.albums[0].attrs["title"] == "caf\ufffd au lait"


def test_a_page_still_broken_after_cleaning_is_a_bad_response():
    with pytest.raises(PlexBadResponse, match="malformed XML"):
        parse_album_page([b'<MediaContainer totalSize="1"><Directory type="album" '], "3", 0, "a page")
    with pytest.raises(PlexBadResponse, match="malformed XML"):
        parse_document(b"<MediaContainer><Directory></MediaContainer>", "an item")


def test_a_page_without_total_size_is_a_bad_response():
    with pytest.raises(PlexBadResponse, match="totalSize"):
        parse_album_page([_read("ha_album.xml").encode()], "3", 0, "the recording")


def test_dirty_single_items_are_cleaned_through_the_client(replay):
    session, adapter = replay
    adapter.register_uri("GET", f"{RECORDED}/library/metadata/200",
                         content=_read("ha_album.xml").replace('title="Album"', 'title="Al\x04bum"').encode())
    client = _client(session)
    assert client.album("200").title == "Album" and client.cleaned == 1


@pytest.mark.parametrize("dirty", [False, True])
def test_a_parsed_page_leaves_nothing_for_the_garbage_collector(dirty):
    """A page's parser lets go of its handlers when it is done: a listing child parses 50 pages of
    1,000 albums in a row, and a parser left in a cycle with its handlers kept each page's albums
    alive until a full collection (the children took 80 MB instead of 52 MB)."""
    title = "A \x04 title" if dirty else "A title"
    xml = ('<MediaContainer size="2" totalSize="2">' + "".join(
        f'<Directory type="album" ratingKey="{n}" guid="g{n}" title="{title}"><Guid id="x://{n}"/></Directory>'
        for n in (1, 2)) + "</MediaContainer>").encode()
    gc.collect()
    gc.disable()
    try:
        page = parse_album_page([xml[:40], xml[40:]], "3", 0, "a page")
        assert len(page.albums) == 2 and page.cleaned is dirty
        del page
        assert gc.collect() == 0
    finally:
        gc.enable()
