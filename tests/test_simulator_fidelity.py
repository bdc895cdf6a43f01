"""The simulated Plex must agree with real Plex: the same python-plexapi calls, run once
against recorded responses (``fixtures/plex/``, served through ``requests_mock`` so
plexapi's real parsing runs) and once against the running simulator, must give objects of
the same classes with the same attributes populated.

Rule: every attribute that is not None on the recorded object must be not None on the
simulator's. The few that legitimately differ are listed in ``OPTIONAL`` with the reason;
each of those must still be populated on *some* simulated album, so the simulator can emit
it. Objects are read through ``vars()`` (no plexapi autoreload, no extra requests).
"""
from __future__ import annotations

import inspect
import json
import os
import xml.etree.ElementTree as ET
from functools import cached_property
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
import requests
import requests_mock

from plugin.simulator.server import SimulatedPlex

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")  # before plexapi builds objects

from plexapi.audio import Album, Track  # noqa: E402
from plexapi.library import MovieSection, MusicSection, ShowSection  # noqa: E402
from plexapi.media import Media, MediaPart  # noqa: E402
from plexapi.server import PlexServer  # noqa: E402

# Byte-for-byte copies of the shared recordings (see tests/fixtures/plex/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plex"
RECORDED = "http://recorded.plex:32400"
TOKEN = "recorded-token"

# Attributes a real server only sends for some albums; the simulator sends each of them for
# some albums too (checked below), just not for every one.
OPTIONAL = {
    "lastViewedAt": "only books someone has played have a last-played time",
    "studio": "not every audiobook has a publisher",
    "year": "not every audiobook has a release year",
    "originallyAvailableAt": "follows year",
}
# Track/Media/Part fields that depend on the codec.
CODEC_OPTIONAL = {"audioProfile": "Plex reports an audio profile for AAC (m4b), not for MP3"}

# python-plexapi builds PlexServer from "/" and Library from "/library"; no recording of
# those exists, so the recorded side gets these minimal stand-ins. They are *not* used as
# ground truth: the simulator's root is checked against every field plexapi reads instead.
_STAND_IN_ROOT = ('<MediaContainer size="0" machineIdentifier="recorded" version="1.20.4.3517" '
                  'friendlyName="recorded" platform="Linux" />')
_STAND_IN_LIBRARY = ('<MediaContainer size="0" identifier="com.plexapp.plugins.library" '
                     'mediaTagVersion="1603922053" title1="Plex Library" />')
_STAND_IN_COLLECTIONS = '<MediaContainer size="0" totalSize="0" offset="0"><Meta /></MediaContainer>'


def _read(name: str) -> str:
    assert FIXTURES is not None
    return (FIXTURES / name).read_text(encoding="utf-8")


def _tracks_json_as_xml() -> str:
    """plexapirs_music_tracks.json (a JSON answer) as the XML Plex sends plexapi."""
    container = json.loads(_read("plexapirs_music_tracks.json"))["MediaContainer"]

    def attrs(d: dict) -> str:
        return " ".join(f"{k}={quoteattr(str(int(v)) if isinstance(v, bool) else str(v))}"
                        for k, v in d.items() if not isinstance(v, (list, dict)))

    body = []
    for track in container["Metadata"]:
        media = []
        for m in track["Media"]:
            parts = "".join(f"<Part {attrs(p)} />" for p in m["Part"])
            media.append(f"<Media {attrs(m)}>{parts}</Media>")
        body.append(f"<Track {attrs(track)}>{''.join(media)}</Track>")
    return f"<MediaContainer {attrs(container)}>{''.join(body)}</MediaContainer>"


def _recorded_section_all(request, context) -> str:
    if "includemeta" in request.qs:  # requests_mock lower-cases query keys
        return _read("ha_library_music_metadata.xml")
    # The only recorded album: its container parses like a listing page (no totalSize,
    # so plexapi stops after this one page).
    return _read("ha_album.xml")


@pytest.fixture
def recorded() -> PlexServer:
    session = requests.Session()
    adapter = requests_mock.Adapter()
    session.mount(RECORDED, adapter)
    adapter.register_uri("GET", f"{RECORDED}/", text=_STAND_IN_ROOT)
    adapter.register_uri("GET", f"{RECORDED}/library", text=_STAND_IN_LIBRARY)
    adapter.register_uri("GET", f"{RECORDED}/library/sections", text=_read("ha_library_sections.xml"))
    adapter.register_uri("GET", f"{RECORDED}/library/sections/3/all", text=_recorded_section_all)
    adapter.register_uri("GET", f"{RECORDED}/library/sections/3/collections", text=_STAND_IN_COLLECTIONS)
    adapter.register_uri("GET", f"{RECORDED}/library/metadata/200", text=_read("ha_album.xml"))
    adapter.register_uri("GET", f"{RECORDED}/library/metadata/200/children", text=_tracks_json_as_xml())
    try:
        yield PlexServer(RECORDED, TOKEN, session=session)
    finally:
        session.close()


@pytest.fixture(scope="module")
def sim() -> SimulatedPlex:
    simulated = SimulatedPlex(books=80, seed=5)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


@pytest.fixture
def simulated(sim) -> PlexServer:
    session = requests.Session()
    try:
        yield PlexServer(sim.url, sim.token, session=session)
    finally:
        session.close()


# ------------------------------------------------------------------------------ helpers
def populated(obj: object) -> set[str]:
    """Public attributes plexapi's ``_loadData`` set to something other than None.

    Read through ``vars()`` (no reload triggered); lazily cached properties (``media``,
    ``guids``...) only land in ``vars()`` once read, so they are compared explicitly.
    """
    return {k for k, v in vars(obj).items() if not k.startswith("_") and v is not None
            and not isinstance(inspect.getattr_static(type(obj), k, None), cached_property)}


def missing(recorded_obj: object, simulated_obj: object, allowed: dict | None = None) -> set[str]:
    return populated(recorded_obj) - populated(simulated_obj) - set(allowed or {})


def assert_like_recorded(recorded_objs: list, simulated_objs: list, allowed: dict) -> None:
    """Same class; every recorded non-None attribute non-None on every simulated object
    (except ``allowed``, which must be non-None on at least one simulated object)."""
    assert recorded_objs and simulated_objs
    for rec in recorded_objs:
        for obj in simulated_objs:
            assert type(obj) is type(rec)
            assert not missing(rec, obj, allowed), (obj, missing(rec, obj, allowed))
        for name in set(allowed) & populated(rec):
            assert any(vars(obj).get(name) is not None for obj in simulated_objs), name


def xml(sim: SimulatedPlex, path: str, **params) -> ET.Element:
    response = requests.get(sim.url + path, params=params, headers={"X-Plex-Token": sim.token},
                            timeout=10)
    assert response.status_code == 200, (path, response.status_code)
    return ET.fromstring(response.content)


def shape(elem: ET.Element) -> tuple:
    """Tag, attributes and children, ignoring whitespace: for comparing XML blocks."""
    return elem.tag, tuple(sorted(elem.attrib.items())), tuple(shape(c) for c in elem)


# -------------------------------------------------------------------------------- server
def test_server_populates_everything_plexapi_reads(simulated, sim):
    # No recording of "/" exists: hold the simulator to every field PlexServer._loadData reads.
    fields = {k: v for k, v in vars(simulated).items() if not k.startswith("_")}
    assert {k for k, v in fields.items() if v is None} == set()
    assert simulated.machineIdentifier == sim.machine_identifier
    assert simulated.platform == "Linux" and simulated.version.count(".") == 3
    assert simulated.allowMediaDeletion is True
    identity = simulated.identity()
    assert identity.machineIdentifier == sim.machine_identifier
    assert identity.version == simulated.version and identity.claimed is True


def test_sections_match_recording(recorded, simulated):
    rec = {s.key: s for s in recorded.library.sections()}
    got = {s.key: s for s in simulated.library.sections()}
    assert type(rec[1]) is type(got[1]) is MovieSection
    assert type(rec[2]) is type(got[2]) is ShowSection
    assert type(rec[3]) is type(got[3]) is type(got[4]) is MusicSection
    for key, section in rec.items():
        assert not missing(section, got[key])
        assert section.locations and got[key].locations
    assert got[3].type == "artist" and got[3].agent == "tv.plex.agents.music"
    assert got[3].locations == ["/audiobooks"]


def test_sections_xml_is_a_superset_of_recording(sim):
    recorded_root = ET.fromstring(_read("ha_library_sections.xml"))
    root = xml(sim, "/library/sections")
    assert set(recorded_root.attrib) <= set(root.attrib)
    sections = {d.get("key"): d for d in root}
    for rec in recorded_root:
        ours = sections[rec.get("key")]
        assert ours.get("type") == rec.get("type")
        assert set(rec.attrib) <= set(ours.attrib), set(rec.attrib) - set(ours.attrib)
        assert set(rec.find("Location").attrib) <= set(ours.find("Location").attrib)


# -------------------------------------------------------------------------------- albums
def test_search_albums_match_recording(recorded, simulated):
    rec = recorded.library.sectionByID(3).search(libtype="album")
    got = simulated.library.sectionByID(3).search(libtype="album")
    assert len(rec) == 1 and len(got) == 80
    assert_like_recorded(rec, got, OPTIONAL)


def test_all_albums_match_recording(recorded, simulated):
    rec = recorded.library.sectionByID(3).all(libtype="album")
    got = simulated.library.sectionByID(3).all(libtype="album")
    assert_like_recorded(rec, got, OPTIONAL)
    assert all(isinstance(a, Album) for a in got)


def test_recently_added_reads_meta_and_matches_recording(recorded, simulated, sim):
    rec = recorded.library.sectionByID(3).recentlyAdded(libtype="album")
    sim.clear_requests_log()
    got = simulated.library.sectionByID(3).recentlyAdded(libtype="album", maxresults=20)
    assert_like_recorded(rec, got, OPTIONAL)
    assert [a.addedAt for a in got] == sorted((a.addedAt for a in got), reverse=True)
    newest = sorted(sim.catalogue, key=lambda a: a.added_at, reverse=True)[:20]
    assert [a.ratingKey for a in got] == [int(a.rating_key) for a in newest]
    logged = [(p, q) for _m, p, q, _h in sim.requests_log]
    assert ("/library/sections/3/all", "1") in [(p, q.get("includeMeta")) for p, q in logged]
    assert any(p == "/library/sections/3/collections" for p, _q in logged)
    assert logged[-1][1].get("sort") == "album.addedAt:desc"


def test_meta_block_is_the_recorded_one(sim):
    recorded_root = ET.fromstring(_read("ha_library_music_metadata.xml"))
    root = xml(sim, "/library/sections/3/all", includeMeta=1, includeAdvanced=1,
               **{"X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0})
    assert set(recorded_root.attrib) <= set(root.attrib)
    assert shape(root.find("Meta")) == shape(recorded_root.find("Meta"))
    # no type: the section's default type, artists (the recording says "All Artists" too)
    assert root.get("size") == "0" and root.get("totalSize") == str(len(sim.catalogue.artists))
    assert root.get("viewGroup") == recorded_root.get("viewGroup") == "artist"


def test_fetch_item_matches_recording_and_has_guids(recorded, simulated, sim):
    rec = recorded.fetchItem(200)
    with_guid = [a for a in sim.catalogue if a.external_guids]
    got = [simulated.fetchItem(int(a.rating_key)) for a in list(sim.catalogue)[:30] + with_guid[:5]]
    assert_like_recorded([rec], got, OPTIONAL)
    fetched = simulated.fetchItem(int(with_guid[0].rating_key))
    assert [g.id for g in fetched.guids] == list(with_guid[0].external_guids)


def test_album_xml_is_a_superset_of_recording(sim):
    recorded_root = ET.fromstring(_read("ha_album.xml"))
    rec = recorded_root[0]
    # a played book with a publisher and a year: every recorded attribute applies to it
    album = next(a for a in sim.catalogue if a.last_viewed_at and a.studio and a.year)
    root = xml(sim, f"/library/metadata/{album.rating_key}")
    assert set(recorded_root.attrib) <= set(root.attrib)
    ours = root[0]
    assert ours.tag == rec.tag == "Directory" and ours.get("type") == "album"
    assert set(rec.attrib) <= set(ours.attrib), set(rec.attrib) - set(ours.attrib)
    for name in set(rec.attrib) - {"lastViewedAt", "viewCount"}:
        assert ours.get(name) is not None
    listing = xml(sim, "/library/sections/3/all", type=9)
    for elem in listing:
        optional = set(OPTIONAL) | {"viewCount"}
        assert set(rec.attrib) - optional <= set(elem.attrib), elem.get("ratingKey")


# -------------------------------------------------------------------------------- tracks
def test_tracks_match_recording(recorded, simulated, sim):
    rec = recorded.fetchItem(200).tracks()
    assert len(rec) == 3
    for style in ("m4b", "mp3"):
        album = next(a for a in sim.catalogue if a.file_style == style)
        got = simulated.fetchItem(int(album.rating_key)).tracks()
        assert len(got) == album.track_count
        allowed = CODEC_OPTIONAL if style == "mp3" else {}
        assert_like_recorded(rec, got, {})
        for rec_track in rec:
            for track in got:
                assert not missing(rec_track.media[0], track.media[0], allowed)
                assert not missing(rec_track.media[0].parts[0], track.media[0].parts[0], allowed)
                assert type(track.media[0]) is Media and type(track.media[0].parts[0]) is MediaPart
        assert [t.media[0].parts[0].file for t in got] == album.files
        assert sum(t.duration for t in got) == album.duration
        assert all(isinstance(t, Track) and t.parentRatingKey == int(album.rating_key) for t in got)


def test_children_xml_has_every_recorded_json_field(sim):
    recorded_container = json.loads(_read("plexapirs_music_tracks.json"))["MediaContainer"]
    rec_track = recorded_container["Metadata"][0]
    rec_media, rec_part = rec_track["Media"][0], rec_track["Media"][0]["Part"][0]

    def scalar_keys(d: dict) -> set[str]:
        return {k for k, v in d.items() if not isinstance(v, (list, dict))}

    for album in list(sim.catalogue)[:25]:
        root = xml(sim, f"/library/metadata/{album.rating_key}/children")
        assert scalar_keys(recorded_container) <= set(root.attrib), \
            scalar_keys(recorded_container) - set(root.attrib)
        allowed = set(CODEC_OPTIONAL) if album.file_style.startswith("mp3") else set()
        for track in root:
            media, part = track.find("Media"), track.find("Media/Part")
            assert scalar_keys(rec_track) <= set(track.attrib)
            assert scalar_keys(rec_media) - allowed <= set(media.attrib)
            assert scalar_keys(rec_part) - allowed <= set(part.attrib)
            assert part.get("file").startswith(album.folder)
            assert int(part.get("duration")) == int(track.get("duration")) > 0
