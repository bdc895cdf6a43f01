"""Requests API: create with conflicts, list, read with the match, update, delete, candidates;
availability by ASIN. Every bad input is a precise 4xx with per-field errors and stores nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugin import sync
from plugin.models import AudiobookRequest
from tests.test_api_basics import assert_error


@pytest.fixture
def plex(plex_factory):
    """An empty library: each test adds exactly the books it talks about."""
    return plex_factory(books=0)


def _requests(runtime) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(AudiobookRequest))


@pytest.fixture
def library(runtime, plex):
    """A scanned library with a few known books."""
    books = {
        "hail": plex.catalogue.add_album("Project Hail Mary", "Andy Weir", "Ray Porter", "B08FHBV4ZX",
                                         asin_source="agent", guid_kind="audnexus"),
        "tenant": plex.catalogue.add_album("The Tenant (Unabridged)", "Freida McFadden", "Lauryn Allman"),
        "foundation": plex.catalogue.add_album("Foundation and Empire", "Isaac Asimov", "Scott Brick",
                                               "B0BX9ZZLKA", asin_source="none"),
    }
    sync.full_scan(runtime)
    return books


def test_create_and_read(api):
    response = api.post("/api/v1/requests", json={"title": "A Book Nobody Has", "author": "Some Writer",
                                                  "asin": "b0abcdefgh", "user": "alice"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["asin"] == "B0ABCDEFGH" and body["user"] == "alice"
    assert body["library_item"] is None and body["match"] is None
    assert api.get(f"/api/v1/requests/{body['id']}").get_json() == body


@pytest.mark.parametrize("body,fields", [
    ({}, {"title"}),
    ({"title": ""}, {"title"}),
    ({"title": 42}, {"title"}),
    ({"title": "x" * 513}, {"title"}),
    ({"title": "Ok", "author": ["a"]}, {"author"}),
    ({"title": "Ok", "asin": "B012345"}, {"asin"}),
    ({"title": "Ok", "asin": "9780765326355"}, {"asin"}),
    ({"title": "Ok", "asin": "[Unabridg]"}, {"asin"}),
    ({"title": "Ok", "status": "done"}, {"status"}),
    ({"title": "Ok", "status": None}, {"status"}),
    ({"title": "Ok", "user": "u" * 129}, {"user"}),
    ({"title": "Ok", "colour": "blue"}, {"colour"}),
    ({"title": None, "asin": 12, "status": 3}, {"title", "asin", "status"}),
])
def test_create_rejects_bad_fields(api, runtime, body, fields):
    error = assert_error(api.post("/api/v1/requests", json=body), 422, "invalid_fields")
    assert set(error["fields"]) == fields
    assert _requests(runtime) == 0


def test_create_rejects_bad_bodies(api, runtime):
    assert_error(api.post("/api/v1/requests", data="title=x", content_type="application/x-www-form-urlencoded"),
                 415, "unsupported_media_type")
    assert_error(api.post("/api/v1/requests", data="{oops", content_type="application/json"), 400, "malformed_json")
    assert_error(api.post("/api/v1/requests", json=["title"]), 400, "invalid_body")
    big = '{"title": "' + "x" * (1024 * 1024) + '"}'
    assert_error(api.post("/api/v1/requests", data=big, content_type="application/json"), 413,
                 "request_entity_too_large")
    assert_error(api.post("/api/v1/requests", json={"title": "x"}, headers={"X-Api-Key": "nope"}), 401,
                 "unauthorized")
    assert _requests(runtime) == 0


def test_already_available_by_asin_and_by_title(api, runtime, library):
    error = assert_error(api.post("/api/v1/requests", json={"title": "Hail Mary", "asin": "B08FHBV4ZX"}), 409,
                         "already_available")
    assert error["reason"] == "already_available"
    assert error["conflict"]["type"] == "library_item"
    assert error["conflict"]["record"]["rating_key"] == library["hail"].rating_key
    assert error["conflict"]["match"]["reason"] == "asin_guid"
    error = assert_error(api.post("/api/v1/requests", json={"title": "The Tenant", "author": "Freida McFadden"}),
                         409, "already_available")
    assert error["conflict"]["match"]["reason"] == "fuzzy"
    assert _requests(runtime) == 0


def test_traps_are_not_already_available(api, library):
    response = api.post("/api/v1/requests", json={"title": "Foundation", "author": "Isaac Asimov"})
    assert response.status_code == 201, response.get_json()


def test_duplicate_and_being_processed(api):
    first = api.post("/api/v1/requests", json={"title": "Words of Radiance", "author": "Brandon Sanderson",
                                               "user": "alice"}).get_json()
    error = assert_error(api.post("/api/v1/requests", json={"title": "Words of Radiance",
                                                            "author": "Brandon Sanderson", "user": "alice"}),
                         409, "duplicate_request")
    assert error["conflict"]["record"]["id"] == first["id"]
    # bob may ask for it while alice's request merely waits...
    assert api.post("/api/v1/requests", json={"title": "Words of Radiance", "author": "Brandon Sanderson",
                                              "user": "bob"}).status_code == 201
    # ...but not once the pipeline is fetching it
    api.patch(f"/api/v1/requests/{first['id']}", json={"status": "downloading"})
    error = assert_error(api.post("/api/v1/requests", json={"title": "Words of Radiance",
                                                            "author": "Brandon Sanderson", "user": "carol"}),
                         409, "being_processed")
    assert error["conflict"]["record"]["status"] == "downloading"


def test_list_and_filter(api):
    for title, user in (("Book One", "alice"), ("Book Two", "bob"), ("Book Three", "alice")):
        api.post("/api/v1/requests", json={"title": title, "user": user})
    listing = api.get("/api/v1/requests?user=alice").get_json()
    assert listing["total"] == 2 and {r["title"] for r in listing["items"]} == {"Book One", "Book Three"}
    assert api.get("/api/v1/requests?status=pending&limit=1").get_json()["total"] == 3
    assert api.get("/api/v1/requests?status=available").get_json()["total"] == 0
    error = assert_error(api.get("/api/v1/requests?status=nope"), 400, "invalid_parameter")
    assert "status" in error["fields"]


def test_update_moves_status_and_matches_at_once(api, runtime, plex):
    req = api.post("/api/v1/requests", json={"title": "Piranesi", "author": "Susanna Clarke"}).get_json()
    plex.catalogue.add_album("Piranesi", "Susanna Clarke", "Chiwetel Ejiofor")
    sync.full_scan(runtime)  # the scan itself completes it
    body = api.get(f"/api/v1/requests/{req['id']}").get_json()
    assert body["status"] == "available" and body["match"]["reason"] == "fuzzy"
    assert body["library_item"]["title"] == "Piranesi"

    other = api.post("/api/v1/requests", json={"title": "Circe", "author": "Madeline Miller",
                                               "status": "searching"}).get_json()
    updated = api.patch(f"/api/v1/requests/{other['id']}", json={"status": "failed", "error_message": "no seeds",
                                                                 "search_attempts": 3}).get_json()
    assert (updated["status"], updated["error_message"], updated["search_attempts"]) == ("failed", "no seeds", 3)


@pytest.mark.parametrize("body,fields", [
    ({"status": "nope"}, {"status"}), ({"search_attempts": -1}, {"search_attempts"}),
    ({"search_attempts": "3"}, {"search_attempts"}), ({"title": "x"}, {"title"}), ({}, {"body"}),
])
def test_update_rejects_bad_fields(api, body, fields):
    req = api.post("/api/v1/requests", json={"title": "Something"}).get_json()
    error = assert_error(api.patch(f"/api/v1/requests/{req['id']}", json=body), 422, "invalid_fields")
    assert set(error["fields"]) == fields
    assert api.get(f"/api/v1/requests/{req['id']}").get_json()["status"] == "pending"


def test_unknown_request_is_404(api):
    assert_error(api.get("/api/v1/requests/999"), 404, "not_found")
    assert_error(api.patch("/api/v1/requests/999", json={"status": "failed"}), 404, "not_found")
    assert_error(api.delete("/api/v1/requests/999"), 404, "not_found")
    assert_error(api.get("/api/v1/requests/999/candidates"), 404, "not_found")


def _available_request(api, runtime, plex, title="The Martian", author="Andy Weir"):
    req = api.post("/api/v1/requests", json={"title": title, "author": author}).get_json()
    album = plex.catalogue.add_album(title, author)
    sync.full_scan(runtime)
    assert api.get(f"/api/v1/requests/{req['id']}").get_json()["status"] == "available"
    return req, album


def test_delete_keeps_plex_item_unless_asked_and_allowed(api, runtime, plex):
    req, album = _available_request(api, runtime, plex)
    body = api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=true").get_json()
    assert body["deleted"] is True and body["plex"]["deleted"] is False and "turned off" in body["plex"]["skipped"]
    assert plex.catalogue.get_album(album.rating_key) is not None
    assert_error(api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=maybe"), 400, "invalid_parameter")


def test_delete_from_plex_tolerates_404_and_errors(api, runtime, plex):
    runtime.save_settings({"allow_plex_deletion": True})
    req, album = _available_request(api, runtime, plex)
    body = api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=true").get_json()
    assert body["plex"]["deleted"] is True and plex.catalogue.get_album(album.rating_key) is None

    req, album = _available_request(api, runtime, plex, "Artemis")
    plex.catalogue.remove_album(album.rating_key)          # already gone from Plex: 404 is fine
    body = api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=true").get_json()
    assert body["deleted"] is True and body["plex"]["deleted"] is False

    req, album = _available_request(api, runtime, plex, "The Egg and Other Stories")
    plex.set_failure("error500", count=5, path=f"/library/metadata/{album.rating_key}")
    body = api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=true").get_json()
    assert body["deleted"] is True and body["plex"]["error"]["code"] == "plex_bad_response"
    assert_error(api.get(f"/api/v1/requests/{req['id']}"), 404, "not_found")


def test_deletion_refused_by_plex_is_told_on_the_status(api, runtime, plex):
    """Deletion on here, "Allow media deletion" off in Plex (403): the request still goes, and
    the status (the dashboard's diagnosis) says why Plex kept the book, until a deletion works."""
    runtime.save_settings({"allow_plex_deletion": True})
    assert api.get("/api/v1/status").get_json()["deletion"] == {"enabled": True, "refused_at": None}
    req, album = _available_request(api, runtime, plex)
    plex.allow_deletion = False
    body = api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=true").get_json()
    assert body["deleted"] is True and body["plex"]["error"]["code"] == "plex_bad_response"
    assert plex.catalogue.get_album(album.rating_key) is not None
    assert api.get("/api/v1/status").get_json()["deletion"]["refused_at"]
    plex.allow_deletion = True
    req, album = _available_request(api, runtime, plex, "Artemis")
    assert api.delete(f"/api/v1/requests/{req['id']}?delete_from_plex=true").get_json()["plex"]["deleted"] is True
    assert api.get("/api/v1/status").get_json()["deletion"]["refused_at"] is None


def test_candidates_explain_near_misses(api, library):
    req = api.post("/api/v1/requests", json={"title": "Foundation", "author": "Isaac Asimov"}).get_json()
    body = api.get(f"/api/v1/requests/{req['id']}/candidates").get_json()
    assert body["items"], body
    top = body["items"][0]
    assert top["library_item"]["title"] == "Foundation and Empire"
    assert top["match"] is False and top["guard"]


def test_availability_is_asin_only(api, library):
    body = api.post("/api/v1/availability", json={"asins": ["b08fhbv4zx", "B0BX9ZZLKA", "0765326353"]}).get_json()
    by_asin = {i["asin"]: i for i in body["items"]}
    assert by_asin["B08FHBV4ZX"]["available"] is True
    assert by_asin["B08FHBV4ZX"]["rating_key"] == library["hail"].rating_key
    assert by_asin["B0BX9ZZLKA"]["available"] is False     # in Plex, but its ASIN is nowhere in the data
    assert by_asin["0765326353"]["available"] is False


@pytest.mark.parametrize("body,field", [
    ({"asins": "B08FHBV4ZX"}, "asins"), ({}, "asins"), ({"asins": ["B08FHBV4ZX"], "x": 1}, "x"),
    ({"asins": ["B08FHBV4ZX", "nope"]}, "asins[1]"), ({"asins": [None]}, "asins[0]"),
    ({"asins": ["B08FHBV4ZX"] * 1001}, "asins"),
])
def test_availability_rejects_bad_input(api, body, field):
    error = assert_error(api.post("/api/v1/availability", json=body), 422, "invalid_fields")
    assert field in error["fields"]
