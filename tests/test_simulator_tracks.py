"""Track shapes of the simulated audiobooks (a single m4b, a multi-part m4b, many mp3
chapters; about 5 files per book) and the section-wide track listing
(``/library/sections/{id}/all?type=10``), paged like a real server, with the fault that
cuts a page short of its ``totalSize``."""
from __future__ import annotations

import collections
import json
import os
import re
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest
import requests

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")  # before plexapi builds objects

from plexapi.server import PlexServer  # noqa: E402

from plugin.simulator.catalogue import ASIN_IN_FOLDER, build_catalogue  # noqa: E402
from plugin.simulator.server import SimulatedPlex  # noqa: E402

RECORDING = Path(__file__).parent / "fixtures" / "plex" / "plexapirs_music_tracks.json"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedPlex]:
    with SimulatedPlex(books=120, seed=21, timeline_delay=0.0) as simulated:
        yield simulated


def page(sim: SimulatedPlex, start: int, size: int, *, in_headers: bool = False) -> ET.Element:
    paging = {"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(size)}
    response = requests.get(
        f"{sim.url}/library/sections/3/all", timeout=30,
        params={"type": 10, **({} if in_headers else paging)},
        headers={"X-Plex-Token": sim.token, **(paging if in_headers else {})})
    assert response.status_code == 200
    return ET.fromstring(response.content)


def test_books_have_the_shapes_of_real_audiobook_folders():
    cat = build_catalogue(6000, 5)
    generated = [a for a in cat.ordered() if a.custom_tracks is None]
    counts = [a.track_count for a in generated]
    assert 4.5 <= statistics.mean(counts) <= 5.5
    styles = collections.Counter(a.file_style for a in generated)
    assert set(styles) == {"m4b", "m4b_parts", "mp3", "mp3_isbn"}
    assert styles["m4b"] > styles["m4b_parts"] > styles["mp3"] > styles["mp3_isbn"]
    for album in generated[:1500]:
        files = album.files
        assert len(files) == album.track_count == len(album.tracks)
        assert all(f.startswith(album.folder) and f.startswith("/audiobooks/") for f in files)
        if album.asin_source == ASIN_IN_FOLDER:
            assert f"[{album.asin}]" in album.folder
        names = [f[len(album.folder):] for f in files]
        titles = [t.title for t in album.tracks]
        if album.file_style == "m4b":
            assert len(files) == 1 and names[0].endswith(".m4b")
        elif album.file_style == "m4b_parts":
            assert 2 <= len(files) <= 4
            assert titles == [f"Part {i}" for i in range(1, len(files) + 1)]
            assert all(n.endswith(f" - Part {i}.m4b") for i, n in enumerate(names, 1))
        else:
            assert 10 <= len(files) <= 40
            assert titles == [f"Chapter {i}" for i in range(1, len(files) + 1)]
            pattern = r"\d{13}_\d\d\.mp3" if album.file_style == "mp3_isbn" else r"\d\d - .+\.mp3"
            assert all(re.fullmatch(pattern, n) for n in names), names[:2]
        assert sum(t.duration for t in album.tracks) == album.duration
        assert len({t.guid for t in album.tracks}) == len(files)


def test_track_shapes_are_seedable():
    first, again = build_catalogue(500, 8), build_catalogue(500, 8)
    assert [a.files for a in first.ordered()] == [a.files for a in again.ordered()]
    assert [a.files for a in first.ordered()] != [a.files for a in build_catalogue(500, 9).ordered()]


@pytest.mark.parametrize("in_headers", [False, True])
def test_track_listing_pages_through_every_track_once(sim, in_headers):
    expected = [(a, t) for a in sim.catalogue.ordered() for t in a.tracks]
    seen: list[ET.Element] = []
    start, size = 0, 97
    while True:  # bounded: each page moves start on; the total is known
        root = page(sim, start, size, in_headers=in_headers)
        assert int(root.get("totalSize")) == len(expected)
        assert root.get("offset") == str(start)
        items = list(root.findall("Track"))
        assert int(root.get("size")) == len(items) == min(size, max(0, len(expected) - start))
        seen += items
        start += size
        if start >= len(expected):
            break
    assert [t.get("ratingKey") for t in seen] == [t.rating_key for _a, t in expected]
    for element, (album, track) in zip(seen, expected):
        assert element.get("parentRatingKey") == album.rating_key
        assert element.get("grandparentRatingKey") == album.artist_rating_key
        assert element.get("duration") == str(track.duration)
        assert element.find("Media/Part").get("file") == track.file
        assert element.find("Media").get("duration") == str(track.duration)


def test_listed_tracks_have_the_recordings_shape(sim):
    recorded = json.loads(RECORDING.read_text())["MediaContainer"]["Metadata"][0]
    element = page(sim, 0, 50).findall("Track")[0]
    ours = list(element.attrib)
    # every recorded attribute, in the recorded order; a listing does not repeat the section
    assert [k for k in ours if k in recorded] == [k for k in recorded if k != "Media"]
    assert not any(k.startswith("librarySection") for k in ours)
    assert set(ours) - set(recorded) <= {"originalTitle", "parentYear", "userRating"}
    media, part = element.find("Media"), element.find("Media/Part")
    aac = media.get("audioCodec") == "aac"  # only AAC has an audioProfile
    wanted = {"Part"} if aac else {"Part", "audioProfile"}
    assert list(media.attrib) == [k for k in recorded["Media"][0] if k not in wanted]
    assert list(part.attrib) == [k for k in recorded["Media"][0]["Part"][0] if k not in wanted]


def test_python_plexapi_lists_every_track_of_the_section(sim):
    section = PlexServer(sim.url, sim.token).library.sectionByID(3)
    tracks = section.searchTracks(container_size=250)
    expected = {t.rating_key: a for a in sim.catalogue.ordered() for t in a.tracks}
    assert len(tracks) == len(expected)
    for track in tracks:
        album = expected[str(track.ratingKey)]
        assert str(track.parentRatingKey) == album.rating_key
        assert track.media[0].parts[0].file.startswith(album.folder)


def test_truncated_fault_cuts_a_track_page_short_of_its_total(sim):
    total = sum(a.track_count for a in sim.catalogue.ordered())
    answer = requests.post(f"{sim.url}/_simulator/failures", timeout=10,
                           json={"mode": "short_page", "count": 1, "path": "/library/sections/3/all"})
    assert answer.status_code == 200
    try:
        short = page(sim, 0, 100)
        assert int(short.get("totalSize")) == total
        assert len(short.findall("Track")) == int(short.get("size")) == 50
        whole = page(sim, 0, 100)  # the rule fired once
        assert len(whole.findall("Track")) == 100
    finally:
        sim.clear_failures()


def test_truncated_fault_also_cuts_an_albums_children(sim):
    album = next(a for a in sim.catalogue.ordered() if a.track_count >= 10)
    sim.set_failure("short_page", 1, path=f"/library/metadata/{album.rating_key}/children")
    try:
        response = requests.get(f"{sim.url}/library/metadata/{album.rating_key}/children",
                                params={"X-Plex-Container-Start": 0, "X-Plex-Container-Size": 50},
                                headers={"X-Plex-Token": sim.token}, timeout=10)
        root = ET.fromstring(response.content)
        assert int(root.get("totalSize")) == album.track_count
        assert len(root.findall("Track")) == album.track_count // 2
    finally:
        sim.clear_failures()


def test_track_listing_bad_paging_is_forgiven_like_plex(sim):
    root = page(sim, 10_000_000, 50)
    assert root.findall("Track") == [] and root.get("size") == "0"
    response = requests.get(f"{sim.url}/library/sections/3/all", timeout=10,
                            params={"type": "ten"}, headers={"X-Plex-Token": sim.token})
    assert response.status_code == 400
