"""Real Plex text in the simulated library: well-formed quirks on by default (entities,
&#10; newlines, CJK and right-to-left titles and authors, emoji, 12,000-character summaries),
and, when asked for, raw control characters that make the XML not well-formed, as real
servers send them (python-plexapi issue #1450)."""
from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from typing import Iterator

import pytest
import requests

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")  # before plexapi builds objects

from plexapi.server import PlexServer  # noqa: E402

from plugin.simulator.catalogue import build_catalogue  # noqa: E402
from plugin.simulator.server import SimulatedPlex, main  # noqa: E402
from plugin.simulator.text import XML_FORBIDDEN  # noqa: E402

FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def listing_bytes(sim: SimulatedPlex, **params: object) -> bytes:
    response = requests.get(f"{sim.url}/library/sections/3/all",
                            params={"type": 9, **params}, headers={"X-Plex-Token": sim.token},
                            timeout=30)
    assert response.status_code == 200
    return response.content


@pytest.fixture
def plain() -> Iterator[SimulatedPlex]:
    with SimulatedPlex(books=800, seed=4, timeline_delay=0.0) as sim:
        yield sim


@pytest.fixture
def dirty() -> Iterator[SimulatedPlex]:
    with SimulatedPlex(books=300, seed=4, timeline_delay=0.0, dirty_text=0.02) as sim:
        yield sim


def test_default_library_is_well_formed_and_carries_real_text(plain):
    body = listing_bytes(plain)
    assert FORBIDDEN_BYTES.search(body) is None
    root = ET.fromstring(body)  # well-formed
    for entity in (b"&amp;", b"&quot;", b"&apos;", b"&lt;", b"&#10;"):
        assert entity in body, entity
    albums = list(root.iter("Directory"))
    assert len(albums) == 800
    texts = [a.get("title", "") + a.get("parentTitle", "") + a.get("summary", "") for a in albums]
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", t) for t in texts)  # CJK
    assert any(re.search("[\u0600-\u06ff]", t) for t in texts)  # Arabic
    assert any(re.search("[\u0590-\u05ff]", t) for t in texts)  # Hebrew
    assert any(re.search("[\U0001f300-\U0001faff]", t) for t in texts)  # emoji
    assert any("\n" in a.get("summary", "") for a in albums)  # &#10; decoded
    assert max(len(a.get("summary", "")) for a in albums) == 12_000
    assert plain.dirty_rating_keys() == []


def test_real_text_share_is_small_seedable_and_leaves_the_rest_of_the_seed_alone():
    default, again, none = (build_catalogue(2000, 9), build_catalogue(2000, 9),
                            build_catalogue(2000, 9, real_text=0.0))
    marked = [a for a in default.ordered() if a.text]
    assert 0 < len(marked) <= 0.03 * len(default)
    assert [(a.rating_key, a.text, a.title) for a in marked] == \
        [(a.rating_key, a.text, a.title) for a in again.ordered() if a.text]
    assert not any(a.text for a in none.ordered())
    # a CJK author is a new artist (rating keys move), but every other draw stays put
    in_order = [sorted(c.albums.values(), key=lambda a: int(a.rating_key)) for c in (default, none)]
    assert len(in_order[0]) == len(in_order[1]) == 2000
    for album, twin in zip(*in_order):
        if album.text is None:
            assert (album.title, album.author, album.asin, album.track_count) == (
                twin.title, twin.author, twin.asin, twin.track_count)
            if not album.guid.startswith("local://"):  # local guids are the rating key
                assert album.guid == twin.guid


def test_dirty_text_sends_raw_control_characters_that_break_xml(dirty):
    keys = dirty.dirty_rating_keys()
    assert len(keys) == round(0.02 * (300 - 15))  # 15 curated books never get dirty text
    body = listing_bytes(dirty)
    assert FORBIDDEN_BYTES.search(body) is not None  # really unescaped, not &#4;
    assert b"&#4;" not in body and b"&#11;" not in body
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    # what python-plexapi does on a parse error: remove what XML forbids, parse again
    cleaned = ET.fromstring(XML_FORBIDDEN.sub("", body.decode("utf-8")))
    assert len(list(cleaned.iter("Directory"))) == 300
    # the helper names exactly the albums whose own element is not well-formed
    for album in cleaned.iter("Directory"):
        one = requests.get(f"{dirty.url}/library/metadata/{album.get('ratingKey')}",
                           headers={"X-Plex-Token": dirty.token}, timeout=10).content
        assert (FORBIDDEN_BYTES.search(one) is not None) == (album.get("ratingKey") in keys)
    answer = requests.get(f"{dirty.url}/_simulator/dirty-text", timeout=10)
    assert answer.json() == {"rating_keys": keys}


def test_dirty_text_is_seedable_and_off_by_default():
    first = build_catalogue(500, 3, dirty_text=0.05)
    assert first.dirty_rating_keys() == build_catalogue(500, 3, dirty_text=0.05).dirty_rating_keys()
    assert first.dirty_rating_keys() != build_catalogue(500, 4, dirty_text=0.05).dirty_rating_keys()
    assert build_catalogue(500, 3).dirty_rating_keys() == []
    for key in first.dirty_rating_keys():
        assert XML_FORBIDDEN.search(first.get_album(key).summary)


def test_python_plexapi_reads_a_dirty_library_by_cleaning_it(dirty):
    section = PlexServer(dirty.url, dirty.token).library.sectionByID(3)
    albums = section.search(libtype="album")
    assert len(albums) == 300
    by_key = {str(a.ratingKey): a for a in albums}
    for key in dirty.dirty_rating_keys():
        assert not XML_FORBIDDEN.search(by_key[key].summary)


def test_an_added_album_can_carry_control_characters(plain):
    response = requests.post(f"{plain.url}/_simulator/albums", json={
        "title": "Broken Blurb", "author": "Ann Author", "summary": "Bad\u0004text\u000bhere"},
        timeout=10)
    assert response.status_code == 201
    key = response.json()["rating_key"]
    assert plain.dirty_rating_keys() == [key]
    body = requests.get(f"{plain.url}/library/metadata/{key}",
                        headers={"X-Plex-Token": plain.token}, timeout=10).content
    assert b"Bad\x04text\x0bhere" in body


@pytest.mark.parametrize("share", ["-0.1", "1.5", "lots"])
def test_simulate_refuses_a_bad_share(share, capsys):
    assert main(["--dirty-text", share]) == 2
    assert "--dirty-text" in capsys.readouterr().err
    assert main(["--real-text", share]) == 2


@pytest.mark.parametrize("kwargs", [{"dirty_text": -0.5}, {"dirty_text": 2.0}, {"real_text": 1.1}])
def test_build_catalogue_refuses_a_bad_share(kwargs):
    with pytest.raises(ValueError):
        build_catalogue(10, 1, **kwargs)
