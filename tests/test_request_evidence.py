"""A request's runtime and language: taken on create and update (validated), shown on read,
and used as evidence by request creation, the candidates endpoint and match-pairs."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from plugin.matching import match_pairs
from plugin.matching.candidates import refresh_keys
from plugin.mirror import MirrorWriter
from plugin.models import AudiobookRequest, LibraryItem, utcnow
from plugin.plex import AlbumRecord
from tests.test_api_basics import assert_error

ITEMS = LibraryItem.__table__
HOUR = 3_600_000


def _count(runtime) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(AudiobookRequest))


@pytest.fixture
def german_library(runtime):
    """One album: Stephen King's Billy Summers, filed in a German folder, 18 h 40 min."""
    with runtime.engine.begin() as conn:
        writer = MirrorWriter(conn, utcnow())
        writer.add(AlbumRecord("1", "plex://album/billy", "Billy Summers", "Stephen King", None, None, "3", 2021, None,
                               None, None, 1_700_000_000, 1_700_000_000, (), "fp1"))
        writer.flush()
        conn.execute(ITEMS.update().values(
            file_paths=["/Hörbücher/Stephen King/Billy Summers (Ungekürzt)/01.mp3"],
            duration_ms=18 * HOUR + 40 * 60_000,
            narrator="David Nathan"))
        refresh_keys(conn, guids=["plex://album/billy"])


def test_duration_and_language_are_stored_and_shown(api) -> None:
    response = api.post("/api/v1/requests", json={"title": "A Book Nobody Has", "author": "Some Writer",
                                                  "duration_ms": 36_000_000, "language": "pt_br"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["duration_ms"], body["language"]) == (36_000_000, "pt-BR")
    assert api.get(f"/api/v1/requests/{body['id']}").get_json() == body
    changed = api.patch(f"/api/v1/requests/{body['id']}", json={"duration_ms": 1000, "language": "zh-hant-tw"})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["duration_ms"], changed.get_json()["language"]) == (1000, "zh-Hant-TW")
    cleared = api.patch(f"/api/v1/requests/{body['id']}", json={"duration_ms": None, "language": None}).get_json()
    assert (cleared["duration_ms"], cleared["language"]) == (None, None)


@pytest.mark.parametrize("field,value", [
    ("duration_ms", 0), ("duration_ms", -5), ("duration_ms", "36000000"), ("duration_ms", 1.5),
    ("duration_ms", True), ("duration_ms", 10**15), ("duration_ms", []),
    ("language", "english"), ("language", ""), ("language", 12), ("language", "e"), ("language", "de-"),
    ("language", "en US"), ("language", "x" * 40), ("language", ["en"]),
])
def test_bad_duration_or_language_is_a_422_and_stores_nothing(api, runtime, field, value) -> None:
    error = assert_error(api.post("/api/v1/requests", json={"title": "Ok", field: value}), 422, "invalid_fields")
    assert set(error["fields"]) == {field}
    assert ("milliseconds" if field == "duration_ms" else "language tag") in error["fields"][field]
    assert _count(runtime) == 0
    created = api.post("/api/v1/requests", json={"title": "Ok"}).get_json()
    error = assert_error(api.patch(f"/api/v1/requests/{created['id']}", json={field: value}), 422, "invalid_fields")
    assert set(error["fields"]) == {field}
    read = api.get(f"/api/v1/requests/{created['id']}").get_json()
    assert (read["duration_ms"], read["language"]) == (None, None)


def test_another_language_in_the_library_is_not_already_available(api, german_library) -> None:
    english = api.post("/api/v1/requests", json={"title": "Billy Summers", "author": "Stephen King", "language": "en"})
    assert english.status_code == 201, english.get_json()
    unspecified = api.post("/api/v1/requests", json={"title": "Billy Summers", "author": "Stephen King",
                                                      "user": "bob"})
    assert unspecified.status_code == 201  # assumed English: the German folder marks another language
    german = api.post("/api/v1/requests", json={"title": "Billy Summers", "author": "Stephen King", "language": "de"})
    error = assert_error(german, 409, "already_available")
    assert "language de (language) vs de (marker)" in error["conflict"]["match"]["evidence"]
    near = api.get(f"/api/v1/requests/{english.get_json()['id']}/candidates").get_json()["items"]
    assert near[0]["reason"] == "other_language"
    assert "language en (language) vs de (marker)" in near[0]["evidence"]


def test_runtime_is_evidence_at_creation(api, german_library) -> None:
    far = api.post("/api/v1/requests", json={"title": "Billy Summers", "author": "Stephen King", "language": "de",
                                             "duration_ms": 6 * HOUR})
    assert far.status_code == 201, far.get_json()  # an abridgement, not this recording
    near = api.get(f"/api/v1/requests/{far.get_json()['id']}/candidates").get_json()["items"]
    assert near[0]["reason"] == "runtime_mismatch"
    assert near[0]["evidence"][1].startswith("runtime_apart 6h00m vs 18h40m")
    # Under a name Plex does not know, the same runtime and narrator still say "this recording".
    close = api.post("/api/v1/requests", json={"title": "Billy Summers", "author": "Paul Sheldon",
                                               "narrator": "David Nathan", "language": "de",
                                               "duration_ms": 18 * HOUR + 41 * 60_000, "user": "carol"})
    error = assert_error(close, 409, "already_available")
    assert "runtime and narrator overcome the author mismatch" in error["conflict"]["match"]["evidence"]


def test_match_pairs_reads_duration_and_language_and_rejects_bad_ones() -> None:
    lines = [
        json.dumps({"request": {"title": "Dune", "author": "Frank Herbert", "duration_ms": 21 * HOUR, "language": "en"},
                    "item": {"title": "Dune", "author": "Frank Herbert", "duration_ms": 6 * HOUR}}),
        json.dumps({"request": {"title": "Dune", "duration_ms": "long"}, "item": {"title": "Dune"}}),
        json.dumps({"request": {"title": "Dune", "language": "Klingon language"}, "item": {"title": "Dune"}}),
        json.dumps({"request": {"title": "Dune", "author": "Frank Herbert", "language": "en"},
                    "item": {"title": "Dune", "author": "Frank Herbert", "file_path": "/Hörbücher/Dune/1.mp3"}}),
    ]
    out = list(match_pairs(lines))
    assert (out[0]["match"], out[0]["reason"]) == (False, "runtime_mismatch")
    assert "request.duration_ms must be a positive whole number" in out[1]["error"]
    assert "request.language must be a language tag" in out[2]["error"]
    assert (out[3]["match"], out[3]["reason"]) == (False, "other_language")
