"""The simulated Plex server and its sample catalogue: paging, sorting, filters, metadata,
deletion, refresh, injected failures, the control API with webhooks, and the websocket."""
from __future__ import annotations

import email.parser
import email.policy
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import requests

from plugin.simulator.catalogue import (
    ASIN_IN_AGENT_GUID,
    ASIN_IN_FOLDER,
    ASIN_IN_GUID_CHILD,
    ASIN_NOWHERE,
    build_catalogue,
)
from plugin.simulator.server import SimulatedPlex, main

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

BOOKS = 60
ASIN_RE = re.compile(r"^(?:B0[A-Z0-9]{8}|[0-9]{9}[0-9X])$")


@pytest.fixture
def sim() -> Iterator[SimulatedPlex]:
    simulated = SimulatedPlex(books=BOOKS, seed=3, timeline_delay=0.0)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def get(sim: SimulatedPlex, path: str, params: dict | None = None,
        headers: dict | None = None, token: str | None = "default") -> requests.Response:
    hdrs = dict(headers or {})
    if token == "default":
        hdrs["X-Plex-Token"] = sim.token
    elif token is not None:
        hdrs["X-Plex-Token"] = token
    return requests.get(sim.url + path, params=params, headers=hdrs, timeout=10)


def root(response: requests.Response) -> ET.Element:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def page(sim: SimulatedPlex, start: int | None, size: int | None, *, as_query: bool = False,
         **params) -> ET.Element:
    paging = {}
    if start is not None:
        paging["X-Plex-Container-Start"] = str(start)
    if size is not None:
        paging["X-Plex-Container-Size"] = str(size)
    query = {"type": 9, **params, **(paging if as_query else {})}
    return root(get(sim, "/library/sections/3/all", query, None if as_query else paging))


def keys(elem: ET.Element) -> list[str]:
    return [child.get("ratingKey") for child in elem if child.get("ratingKey")]


# ------------------------------------------------------------------------------ catalogue
def test_catalogue_is_deterministic_per_seed():
    a, b, c = build_catalogue(200, seed=7), build_catalogue(200, seed=7), build_catalogue(200, seed=8)
    summary = [(x.rating_key, x.title, x.parent_title, x.guid, x.added_at, x.asin, x.summary,
                x.folder, tuple(x.files)) for x in a]
    assert summary == [(x.rating_key, x.title, x.parent_title, x.guid, x.added_at, x.asin,
                        x.summary, x.folder, tuple(x.files)) for x in b]
    assert [x.guid for x in a] != [x.guid for x in c]


def test_catalogue_looks_like_a_real_audiobook_library():
    cat = build_catalogue(3000, seed=1)
    albums = list(cat)
    titles = [a.title for a in albums]
    assert len(albums) == 3000 and len(set(a.rating_key for a in albums)) == 3000
    assert len({t.casefold() for t in titles}) == 3000
    assert len({a.added_at for a in albums}) == 3000
    assert all(a.updated_at >= a.added_at for a in albums)
    for marker in ("(Unabridged)", "(Dramatized Adaptation)", "(Full Cast)", ": A Novel", ", Book "):
        assert any(marker in t for t in titles), marker
    assert any(": " in t and ", Book" not in t and "A Novel" not in t for t in titles)  # subtitles
    assert any(re.search(r"[À-ž]", a.parent_title) for a in albums)  # accents
    assert any(", " in a.parent_title for a in albums)  # "Douglas Preston, Lincoln Child"
    assert any(a.parent_title == a.narrator.split(", ")[0] != a.author for a in albums if a.narrator)
    assert any(a.original_title for a in albums)
    assert cat.get_album(1001).title == "Leviathan Wakes"
    assert {a.title for a in albums} >= {"Foundation", "Foundation and Empire", "Dune",
                                         "The Tenant (Unabridged)", "The Shadow of the Wind"}
    # guid kinds
    schemes = {a.guid.split("://")[0] for a in albums}
    assert schemes == {"plex", "com.plexapp.agents.audnexus", "com.plexapp.agents.audible", "local"}
    plex_guids = [a.guid for a in albums if a.guid.startswith("plex://")]
    assert sum(g.startswith("plex://album/") for g in plex_guids) > len(albums) // 2
    assert all(re.fullmatch(r"plex://album/[0-9a-f]{24}", g) for g in plex_guids)
    # ASINs: valid shapes, exposed only where the source says
    assert all(ASIN_RE.match(a.asin) for a in albums)
    assert any(a.asin[0].isdigit() for a in albums) and any(a.asin.startswith("B0") for a in albums)
    for a in albums:
        if a.asin[0].isdigit():  # ISBN-10 check digit
            digits = [10 if ch == "X" else int(ch) for ch in a.asin]
            assert sum((10 - i) * d for i, d in enumerate(digits)) % 11 == 0
        if a.asin_source == ASIN_IN_AGENT_GUID:
            assert a.asin in a.guid and "agents" in a.guid
        elif a.asin_source == ASIN_IN_FOLDER:
            assert f"[{a.asin}]" in a.folder
        elif a.asin_source == ASIN_IN_GUID_CHILD:
            assert f"audible://{a.asin}" in a.external_guids
        else:
            assert a.asin_source == ASIN_NOWHERE and a.exposed_asin is None
            assert a.asin not in a.guid and a.asin not in a.folder
    assert {a.asin_source for a in albums} == {ASIN_IN_AGENT_GUID, ASIN_IN_FOLDER,
                                               ASIN_IN_GUID_CHILD, ASIN_NOWHERE}
    # traps in paths that are not ASINs
    assert any("[Unabridged]" in a.folder for a in albums)
    isbn13 = [f for a in albums if a.file_style == "mp3_isbn" for f in a.files[:1]]
    assert isbn13 and all(re.search(r"/97[89]\d{10}_01\.mp3$", f) for f in isbn13)
    # tracks
    for a in albums[:200]:
        assert len(a.tracks) == a.track_count >= 1
        assert sum(t.duration for t in a.tracks) == a.duration > 0
        assert all(t.file.startswith(a.folder) and t.file.endswith((".m4b", ".mp3")) for t in a.tracks)
        assert [int(t.rating_key) for t in a.tracks] == list(
            range(int(a.rating_key) + 1, int(a.rating_key) + 1 + a.track_count))
    assert any(a.user_rating for a in albums) and any(a.user_rating is None for a in albums)
    assert all(a.thumb == f"/library/metadata/{a.rating_key}/thumb/{a.updated_at}" for a in albums)
    # one artist per parentTitle
    assert len(cat.artists) == len({a.parent_title for a in albums})


def test_catalogue_mutations_keep_lookups_valid():
    cat = build_catalogue(50, seed=2)
    newest = cat.by_added_desc[0]
    album = cat.add_album("A Brand New Book", "New Author", "Some Narrator", "B0NEWBOOK1",
                          tracks=[("Opening", 60_000), ("Ending", 90_000)])
    assert cat.by_added_desc[0] is album and album.added_at > newest.added_at
    assert cat.get_album(album.rating_key) is album
    assert cat.get_album_by_guid(album.guid) is album
    assert f"[{album.asin}]" in album.folder and album.duration == 150_000
    track = album.tracks[1]
    assert cat.get_track(track.rating_key) is track and track.title == "Ending"
    assert cat.find(album.artist_rating_key).title == "New Author"
    old = cat.add_album("Backfilled", "Old Author", added_at=newest.added_at - 10)
    ordered = [a.added_at for a in cat.by_added_desc]
    assert ordered == sorted(ordered, reverse=True) and old in cat.by_added_desc
    before = album.updated_at
    cat.update_album(album.rating_key, title="A Renamed Book", user_rating=8.0)
    assert album.title == "A Renamed Book" and album.user_rating == 8.0 and album.updated_at > before
    assert cat.ordered("titleSort")[0].title_sort <= cat.ordered("titleSort")[1].title_sort
    with pytest.raises(ValueError):
        cat.update_album(album.rating_key, rating_key="1")
    cat.remove_album(album.rating_key)
    assert cat.get_album(album.rating_key) is None and album not in cat.by_added_desc
    assert cat.get_track(track.rating_key) is None
    assert cat.get_artist(album.artist_rating_key) is None  # its only album went away
    with pytest.raises(KeyError):
        cat.remove_album(album.rating_key)
    assert len(cat) == 51


def test_hundred_thousand_books_build_and_serve_a_page():
    cat = build_catalogue(100_000, seed=1)
    assert len(cat) == 100_000 and len({a.title.casefold() for a in cat}) == 100_000
    with SimulatedPlex(cat) as big:
        elem = page(big, 50_000, 1000)
        assert elem.get("size") == "1000" and elem.get("totalSize") == "100000"
        assert elem.get("offset") == "50000" and len(set(keys(elem))) == 1000
        expected = [a.rating_key for a in cat.ordered()[50_000:51_000]]
        assert keys(elem) == expected
        recent = page(big, 0, 50, sort="addedAt:desc", includeGuids=1)
        assert keys(recent) == [a.rating_key for a in cat.by_added_desc[:50]]


# ----------------------------------------------------------------------------- auth, misc
def test_token_required_everywhere_but_identity(sim):
    for token in (None, "wrong"):
        response = get(sim, "/library/sections", token=token)
        assert response.status_code == 401
        assert response.text == ("<html><head><title>Unauthorized</title></head>"
                                 "<body><h1>401 Unauthorized</h1></body></html>")
    assert get(sim, "/", token=None).status_code == 401
    assert root(get(sim, "/library/sections", params={"X-Plex-Token": sim.token}, token=None))
    ident = root(get(sim, "/identity", token=None))
    assert ident.get("machineIdentifier") == sim.machine_identifier
    top = root(get(sim, "/"))
    assert top.get("machineIdentifier") == sim.machine_identifier and top.get("platform") == "Linux"
    sim.add_token("user-token")
    assert get(sim, "/library/sections", token="user-token").status_code == 200


def test_unknown_paths_and_sections_are_404(sim):
    assert get(sim, "/nope").status_code == 404
    assert get(sim, "/library/sections/99/all").status_code == 404
    assert get(sim, "/library/metadata/999999999").status_code == 404
    assert get(sim, "/library/metadata/999999999/children").status_code == 404


def test_sections_and_empty_non_music_sections(sim):
    sections = root(get(sim, "/library/sections"))
    assert [(d.get("key"), d.get("type"), d.get("title")) for d in sections] == [
        ("1", "movie", "Movies"), ("2", "show", "TV Shows"), ("3", "artist", "Audiobooks"),
        ("4", "artist", "Music")]
    assert sections[2].find("Location").get("path") == "/audiobooks"
    movies = root(get(sim, "/library/sections/1/all", headers={"X-Plex-Container-Start": "0",
                                                                "X-Plex-Container-Size": "10"}))
    assert movies.get("size") == "0" and movies.get("totalSize") == "0"
    music = page(sim, 0, 10)
    assert music.get("totalSize") == str(BOOKS)
    other = root(get(sim, "/library/sections/4/all", {"type": 9}))
    assert [d.get("title") for d in other] == ["Blue Train", "Kind of Blue"]


def test_restart_on_the_same_port(sim):
    url = sim.url
    sim.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/identity", timeout=2)
    assert sim.start() == url
    assert root(get(sim, "/identity")).get("machineIdentifier") == sim.machine_identifier


def test_keep_alive_serves_several_requests_on_one_connection(sim):
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", "/library/sections", headers={"X-Plex-Token": sim.token})
            response = conn.getresponse()
            assert response.status == 200 and response.read().startswith(b"<?xml")
    finally:
        conn.close()


# ---------------------------------------------------------------------------------- paging
@pytest.mark.parametrize("as_query", [False, True], ids=["headers", "query"])
def test_paging(sim, as_query):
    everything = [a.rating_key for a in sim.catalogue.ordered()]
    first = page(sim, 0, 25, as_query=as_query)
    assert (first.get("size"), first.get("totalSize"), first.get("offset")) == ("25", str(BOOKS), "0")
    assert keys(first) == everything[:25]
    last = page(sim, 50, 25, as_query=as_query)
    assert (last.get("size"), last.get("totalSize"), last.get("offset")) == ("10", str(BOOKS), "50")
    assert keys(last) == everything[50:]
    beyond = page(sim, 500, 25, as_query=as_query)
    assert (beyond.get("size"), beyond.get("totalSize"), beyond.get("offset")) == ("0", str(BOOKS), "500")
    assert keys(beyond) == []
    count_only = page(sim, 0, 0, as_query=as_query)
    assert count_only.get("size") == "0" and count_only.get("totalSize") == str(BOOKS)


def test_without_paging_everything_and_no_total_size(sim):
    elem = page(sim, None, None)
    assert elem.get("size") == str(BOOKS) and "totalSize" not in elem.attrib
    assert elem.get("identifier") == "com.plexapp.plugins.library" and elem.get("viewGroup") == "album"
    assert all(child.get("type") == "album" for child in elem)


def test_sorts(sim):
    newest = page(sim, 0, 100, sort="addedAt:desc")
    added = [int(d.get("addedAt")) for d in newest]
    assert added == sorted(added, reverse=True) and "sortAsc" not in newest.attrib
    oldest = page(sim, 0, 100, sort="addedAt")
    assert [int(d.get("addedAt")) for d in oldest] == sorted(added)
    by_title = page(sim, 0, 100, sort="titleSort")
    assert keys(by_title) == [a.rating_key for a in sim.catalogue.ordered("titleSort")]


def test_added_at_filter(sim):
    albums = sim.catalogue.by_added_desc
    cutoff = albums[9].added_at
    url = f"{sim.url}/library/sections/3/all?type=9&sort=addedAt:desc&addedAt%3E%3E={cutoff}"
    response = requests.get(url, headers={"X-Plex-Token": sim.token, "X-Plex-Container-Start": "0",
                                          "X-Plex-Container-Size": "50"}, timeout=10)
    elem = root(response)
    assert keys(elem) == [a.rating_key for a in albums[:9]] and elem.get("totalSize") == "9"
    before = page(sim, 0, 100, **{"addedAt<<": cutoff})
    assert len(keys(before)) == BOOKS - 10
    relative = page(sim, 0, 100, **{"addedAt>>": "-1d"})
    assert keys(relative) == []  # the sample library was added long ago


def test_title_filter_and_search(sim):
    elem = page(sim, 0, 100, title="FOUNDATION")
    assert sorted(d.get("title") for d in elem) == ["Foundation", "Foundation and Empire"]
    exact = page(sim, 0, 100, title="=Foundation")
    assert [d.get("title") for d in exact] == ["Foundation"]
    search = root(get(sim, "/library/sections/3/search", {"type": 9, "title": "dune"}))
    assert [d.get("title") for d in search] == ["Dune"]


def test_include_guids(sim):
    with_child = [a for a in sim.catalogue if a.external_guids]
    assert with_child
    plain = page(sim, 0, 100)
    assert all(d.find("Guid") is None for d in plain)
    guided = page(sim, 0, 100, includeGuids=1)
    found = {d.get("ratingKey"): [g.get("id") for g in d.findall("Guid")] for d in guided}
    for album in with_child:
        assert found[album.rating_key] == list(album.external_guids)


def test_artists_and_tracks_listings(sim):
    artists = root(get(sim, "/library/sections/3/all", {"type": 8},
                       {"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "500"}))
    assert artists.get("totalSize") == str(len(sim.catalogue.artists))
    assert all(d.get("type") == "artist" for d in artists)
    total_tracks = sum(a.track_count for a in sim.catalogue)
    tracks = root(get(sim, "/library/sections/3/all", {"type": 10},
                      {"X-Plex-Container-Start": "5", "X-Plex-Container-Size": "40"}))
    assert tracks.get("totalSize") == str(total_tracks) and tracks.get("size") == "40"
    assert all(t.tag == "Track" and t.find("Media/Part").get("file") for t in tracks)


# ---------------------------------------------------------------------- metadata, children
def test_metadata_album_track_artist(sim):
    album = next(a for a in sim.catalogue if a.external_guids)
    elem = root(get(sim, f"/library/metadata/{album.rating_key}"))
    assert elem.get("size") == "1" and elem.get("librarySectionID") == "3"
    item = elem[0]
    assert (item.tag, item.get("type"), item.get("title")) == ("Directory", "album", album.title)
    assert [g.get("id") for g in item.findall("Guid")] == list(album.external_guids)
    assert item.get("key") == f"/library/metadata/{album.rating_key}/children"
    track = album.tracks[0]
    telem = root(get(sim, f"/library/metadata/{track.rating_key}"))[0]
    assert (telem.tag, telem.get("type"), telem.get("parentRatingKey")) == ("Track", "track", album.rating_key)
    aelem = root(get(sim, f"/library/metadata/{album.artist_rating_key}"))[0]
    assert (aelem.get("type"), aelem.get("title")) == ("artist", album.parent_title)
    several = root(get(sim, f"/library/metadata/{album.rating_key},{track.rating_key}"))
    assert [e.get("ratingKey") for e in several] == [album.rating_key, track.rating_key]
    thumb = get(sim, album.thumb)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"


def test_children(sim):
    album = next(a for a in sim.catalogue if a.track_count > 3)
    elem = root(get(sim, f"/library/metadata/{album.rating_key}/children"))
    assert elem.get("size") == str(album.track_count) and elem.get("viewGroup") == "track"
    assert [t.find("Media/Part").get("file") for t in elem] == album.files
    assert [int(t.get("duration")) for t in elem] == [t.duration for t in album.tracks]
    paged = root(get(sim, f"/library/metadata/{album.rating_key}/children",
                     headers={"X-Plex-Container-Start": "1", "X-Plex-Container-Size": "2"}))
    assert paged.get("totalSize") == str(album.track_count) and paged.get("size") == "2"
    artist_albums = root(get(sim, f"/library/metadata/{album.artist_rating_key}/children"))
    assert album.rating_key in keys(artist_albums)
    assert all(d.get("type") == "album" for d in artist_albums)
    leaves = root(get(sim, f"/library/metadata/{album.artist_rating_key}/allLeaves"))
    assert {t.get("parentRatingKey") for t in leaves} >= {album.rating_key}


# ----------------------------------------------------------------------- delete, refresh
def test_delete(sim):
    album = list(sim.catalogue)[5]
    url = f"{sim.url}/library/metadata/{album.rating_key}"
    headers = {"X-Plex-Token": sim.token}
    assert requests.delete(url, headers=headers, timeout=5).status_code == 200
    assert sim.catalogue.get_album(album.rating_key) is None
    assert requests.delete(url, headers=headers, timeout=5).status_code == 404
    assert get(sim, f"/library/metadata/{album.rating_key}").status_code == 404
    assert root(get(sim, "/library/sections/3/all", {"type": 9})).get("size") == str(BOOKS - 1)


def test_delete_when_media_deletion_is_disabled(sim):
    sim.allow_deletion = False
    album = list(sim.catalogue)[5]
    response = requests.delete(f"{sim.url}/library/metadata/{album.rating_key}",
                               headers={"X-Plex-Token": sim.token}, timeout=5)
    assert response.status_code == 403 and "Forbidden" in response.text
    assert sim.catalogue.get_album(album.rating_key) is album
    assert root(get(sim, "/")).get("allowMediaDeletion") == "0"


def test_refresh_is_recorded(sim):
    assert get(sim, "/library/sections/3/refresh").status_code == 200
    response = get(sim, "/library/sections/3/refresh", {"path": "/audiobooks/New Author/Book"})
    assert response.status_code == 200 and response.content == b""
    assert [(r["section_id"], r["path"]) for r in sim.refreshes] == [
        (3, None), (3, "/audiobooks/New Author/Book")]


# ------------------------------------------------------------------------ failure modes
ALL = "/library/sections/3/all"


def test_failure_after_and_count(sim):
    sim.set_failure("error500", count=1, path=ALL, after=2)
    statuses = [get(sim, ALL, {"type": 9}).status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]
    assert get(sim, "/library/sections").status_code == 200  # other paths untouched
    sim.set_failure("error503", path=ALL)  # count None: until cleared
    assert [get(sim, ALL).status_code for _ in range(3)] == [503, 503, 503]
    sim.clear_failures()
    assert get(sim, ALL).status_code == 200
    with pytest.raises(ValueError):
        sim.set_failure("explode")


def test_failure_unauthorized(sim):
    sim.set_failure("unauthorized", count=1)
    assert get(sim, "/library/sections").status_code == 401
    assert get(sim, "/library/sections").status_code == 200


def test_failure_malformed_xml(sim):
    sim.set_failure("malformed_xml", count=1, path=ALL)
    response = get(sim, ALL)
    assert response.status_code == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(response.content)


def test_failure_no_total_size(sim):
    sim.set_failure("no_total_size", count=1, path=ALL)
    elem = page(sim, 0, 10)
    assert "totalSize" not in elem.attrib and elem.get("size") == "10"
    assert page(sim, 0, 10).get("totalSize") == str(BOOKS)


def test_failure_drop_connection(sim):
    sim.set_failure("drop_connection", count=1, path=ALL)
    with requests.Session() as session:
        with pytest.raises(requests.exceptions.RequestException):
            response = session.get(sim.url + ALL, params={"type": 9},
                                   headers={"X-Plex-Token": sim.token}, timeout=5)
            ET.fromstring(response.content)
        assert session.get(sim.url + ALL, headers={"X-Plex-Token": sim.token},
                           timeout=5).status_code == 200


def test_failure_slow(sim):
    sim.set_failure("slow", count=1, path="/identity", seconds=0.2)
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(sim.url + "/identity", timeout=0.05)
    assert get(sim, "/identity").status_code == 200


def test_failures_through_the_control_api(sim):
    response = requests.post(f"{sim.url}/_simulator/failures", timeout=5,
                             json={"mode": "error500", "count": 1, "path": "/library"})
    assert response.status_code == 200 and response.json()["failures"][0]["mode"] == "error500"
    assert get(sim, "/library/sections").status_code == 500
    requests.post(f"{sim.url}/_simulator/failures", json={"mode": "error500"}, timeout=5)
    assert requests.delete(f"{sim.url}/_simulator/failures", timeout=5).json() == {"failures": []}
    assert get(sim, "/library/sections").status_code == 200
    bad = requests.post(f"{sim.url}/_simulator/failures", json={"mode": "nope"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_failure"


def test_requests_log(sim):
    sim.clear_requests_log()
    page(sim, 10, 5)
    method, path, query, headers = sim.requests_log[-1]
    assert (method, path, query["type"]) == ("GET", ALL, "9")
    assert headers["X-Plex-Container-Start"] == "10" and headers["X-Plex-Token"] == sim.token
    requests.get(f"{sim.url}/_simulator/state", timeout=5)
    assert len(sim.requests_log) == 1  # control calls are not Plex traffic


# --------------------------------------------------------------- control API and webhooks
class _Receiver:
    """A tiny local HTTP server capturing webhook posts."""

    def __init__(self) -> None:
        self.posts: queue.Queue = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.put((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def next(self, timeout: float = 5.0) -> tuple[dict, dict, bytes]:
        """(payload JSON, headers, thumb bytes) of the next post."""
        headers, body = self.posts.get(timeout=timeout)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body)
        assert message.is_multipart()
        fields = {part.get_param("name", header="content-disposition"): part
                  for part in message.iter_parts()}
        thumb = fields["thumb"]
        assert thumb.get_content_type() == "image/jpeg"
        return json.loads(fields["payload"].get_content()), headers, thumb.get_payload(decode=True)


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    rec = _Receiver()
    try:
        yield rec
    finally:
        rec.close()


def test_add_album_posts_a_plex_shaped_webhook(sim, receiver):
    response = requests.post(f"{sim.url}/_simulator/webhooks", json={"url": receiver.url}, timeout=5)
    assert response.json() == {"webhook_urls": [receiver.url]}
    created = requests.post(f"{sim.url}/_simulator/albums", timeout=5, json={
        "title": "The Long Way to a Small, Angry Planet (Unabridged)", "author": "Becky Chambers",
        "narrator": "Rachel Dulude", "asin": "B01N6VDDTM", "tracks": 3})
    assert created.status_code == 201
    album = created.json()
    assert album["title"].startswith("The Long Way") and album["asin"] == "B01N6VDDTM"
    assert album["exposed_asin"] == "B01N6VDDTM" and "[B01N6VDDTM]" in album["folder"]
    assert len(album["tracks"]) == 3 and album["rating_key"] in [a.rating_key for a in sim.catalogue]
    payload, headers, thumb = receiver.next()
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert thumb.startswith(b"\xff\xd8") and thumb.endswith(b"\xff\xd9")
    assert payload["event"] == "library.new" and payload["owner"] is True and payload["user"] is True
    assert payload["Server"] == {"title": sim.friendly_name, "uuid": sim.machine_identifier}
    meta = payload["Metadata"]
    assert meta["type"] == "album" and meta["ratingKey"] == album["rating_key"]
    assert meta["librarySectionType"] == "artist" and meta["librarySectionID"] == 3
    assert meta["parentTitle"] == "Becky Chambers" and meta["guid"] == album["guid"]
    assert meta["addedAt"] == album["added_at"]
    newest = page(sim, 0, 1, sort="addedAt:desc")
    assert keys(newest) == [album["rating_key"]]
    assert sim.wait_idle() and sim.webhook_deliveries[-1]["status"] == 200


def test_webhook_per_track_burst(sim, receiver):
    sim.set_webhook_urls([receiver.url])
    album = sim.add_album("Piranesi", "Susanna Clarke", "Chiwetel Ejiofor", tracks=4,
                          webhook_per_track=True)
    payloads = [receiver.next()[0] for _ in range(4)]
    assert [p["Metadata"]["type"] for p in payloads] == ["track"] * 4
    assert {p["Metadata"]["parentRatingKey"] for p in payloads} == {album.rating_key}
    assert [p["Metadata"]["ratingKey"] for p in payloads] == [t.rating_key for t in album.tracks]


def test_control_api_validation_and_delete(sim):
    bad = requests.post(f"{sim.url}/_simulator/albums", json={"title": "No author"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_album"
    garbage = requests.post(f"{sim.url}/_simulator/albums", data=b"{nope", timeout=5)
    assert garbage.status_code == 400
    album = list(sim.catalogue)[0]
    gone = requests.delete(f"{sim.url}/_simulator/albums/{album.rating_key}", timeout=5)
    assert gone.status_code == 200 and gone.json()["rating_key"] == album.rating_key
    again = requests.delete(f"{sim.url}/_simulator/albums/{album.rating_key}", timeout=5)
    assert again.status_code == 404
    state = requests.get(f"{sim.url}/_simulator/state", timeout=5).json()
    assert state["albums"] == BOOKS - 1 and state["machine_identifier"] == sim.machine_identifier


# ------------------------------------------------------------------------------ websocket
def test_alert_listener_sees_the_new_album_processed(sim):
    from plexapi.server import PlexServer

    seen: queue.Queue = queue.Queue()
    with requests.Session() as session:
        plex = PlexServer(sim.url, sim.token, session=session)
        listener = plex.startAlertListener(seen.put)
        try:
            _wait_for(lambda: sim.websocket_clients == 1)
            created = requests.post(f"{sim.url}/_simulator/albums", timeout=5,
                                    json={"title": "Dark Matter", "author": "Blake Crouch"}).json()
            rk = created["rating_key"]
            states = _collect(seen, lambda e: e["itemID"] == rk and e["type"] == 9 and e["state"] == 5
                              and "mediaState" not in e)
            album_states = [e["state"] for e in states if e["itemID"] == rk and e["type"] == 9]
            assert album_states[0] == 0 and album_states[-1] == 5
            first = next(e for e in states if e["itemID"] == rk)
            assert first["identifier"] == "com.plexapp.plugins.library" and first["sectionID"] == "3"
            assert first["metadataState"] == "created" and first["title"] == "Dark Matter"
            track_keys = {t["rating_key"] for t in created["tracks"]}
            assert {e["itemID"] for e in states if e["type"] == 10 and e["state"] == 5} == track_keys

            requests.delete(f"{sim.url}/_simulator/albums/{rk}", timeout=5)
            deleted = _collect(seen, lambda e: e["itemID"] == rk and e["state"] == 9)
            assert {(e["type"], e["metadataState"]) for e in deleted if e["state"] == 9} == {
                (9, "deleted"), (10, "deleted")}
        finally:
            sim.stop()  # closes websocket clients: the listener sees the disconnect
            listener.join(5)
            assert not listener.is_alive()


def test_websocket_handshake_ping_and_auth(sim):
    import websocket  # websocket-client

    url = sim.url.replace("http", "ws") + "/:/websockets/notifications"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(url + "?X-Plex-Token=wrong", timeout=5)
    ws = websocket.create_connection(url + f"?X-Plex-Token={sim.token}", timeout=5)
    try:
        ws.ping(b"hello")
        opcode, data = ws.recv_data(control_frame=True)
        assert (opcode, data) == (websocket.ABNF.OPCODE_PONG, b"hello")
        sim.update_album(list(sim.catalogue)[0].rating_key, summary="new summary")
        message = json.loads(ws.recv())["NotificationContainer"]
        assert message["type"] == "timeline" and message["TimelineEntry"][0]["state"] == 5
    finally:
        ws.close()
    _wait_for(lambda: sim.websocket_clients == 0)


def test_dropped_websocket_and_reconnect(sim):
    import websocket  # websocket-client

    url = sim.url.replace("http", "ws") + f"/:/websockets/notifications?X-Plex-Token={sim.token}"
    ws = websocket.create_connection(url, timeout=5)
    try:
        _wait_for(lambda: sim.websocket_clients == 1)
        assert sim.disconnect_websockets() == 1
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            ws.recv()
    finally:
        ws.close()
    again = websocket.create_connection(url, timeout=5)  # the server is still up
    try:
        _wait_for(lambda: sim.websocket_clients == 1)
        sim.remove_album(list(sim.catalogue)[0].rating_key)
        entry = json.loads(again.recv())["NotificationContainer"]["TimelineEntry"][0]
        assert entry["state"] == 9
    finally:
        again.close()


def _wait_for(condition, timeout: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("condition not met in time")


def _collect(seen: queue.Queue, until, timeout: float = 5.0) -> list[dict]:
    """Timeline entries received up to the message holding one that satisfies ``until``."""
    entries: list[dict] = []
    for _ in range(1000):
        data = seen.get(timeout=timeout)
        if data.get("type") != "timeline":
            continue
        entries += data["TimelineEntry"]
        if any(until(entry) for entry in data["TimelineEntry"]):
            return entries
    raise AssertionError("no matching timeline entry")


# ------------------------------------------------------------------------------------ CLI
def test_cli_help_and_bad_usage(capsys):
    assert main(["--help"]) == 0
    assert "--webhook-url" in capsys.readouterr().out
    assert main(["--books", "many"]) == 2
    assert main(["--books", "-1"]) == 2


def test_cli_serves_until_interrupted():
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "plugin.simulator.server", "--port", "0",
                             "--books", "5", "--token", "cli-token"], cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        assert "Token: cli-token" in proc.stdout.readline()
        response = requests.get(url + "/library/sections/3/all?type=9", headers={"X-Plex-Token": "cli-token"},
                                timeout=5)
        assert response.status_code == 200 and ET.fromstring(response.content).get("size") == "5"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
        proc.stderr.close()
