"""The web app: health, API key, library listing, status, config; one JSON error shape."""
from __future__ import annotations

import pytest

from plugin import sync
from tests.conftest import API_KEY


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_healthz_needs_no_key(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/v1/status", "/api/v1/library", "/api/v1/library/1", "/api/v1/config"])
@pytest.mark.parametrize("key", [None, "", "wrong-key", API_KEY + "x"])
def test_api_needs_the_key(client, path, key):
    headers = {} if key is None else {"X-Api-Key": key}
    assert_error(client.get(path, headers=headers), 401, "unauthorized")


def test_unknown_route_and_method_are_json(api):
    assert_error(api.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(api.delete("/api/v1/status"), 405, "method_not_allowed")


def test_library_listing_pages_and_searches(api, runtime, plex):
    sync.full_scan(runtime)
    first = api.get("/api/v1/library?limit=5").get_json()
    assert first["total"] == len(plex.catalogue) and first["limit"] == 5 and first["offset"] == 0
    assert len(first["items"]) == 5
    second = api.get("/api/v1/library?limit=5&offset=5").get_json()
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    item = first["items"][0]
    for key in ("id", "guid", "rating_key", "title", "author", "narrator", "asin", "year", "duration_ms",
                "added_at"):
        assert key in item
    word = item["title"].split()[0]
    found = api.get(f"/api/v1/library?q={word}").get_json()
    assert found["total"] >= 1 and all(
        word.lower() in (i["title"] + (i["author"] or "") + (i["narrator"] or "")).lower()
        for i in found["items"])
    one = api.get(f"/api/v1/library/{item['rating_key']}").get_json()
    assert one["id"] == item["id"] and one["guid"] == item["guid"]


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"),
                                         ("offset=-1", "offset"), ("q=" + "x" * 201, "q")])
def test_library_listing_rejects_bad_parameters(api, query, field):
    error = assert_error(api.get(f"/api/v1/library?{query}"), 400, "invalid_parameter")
    assert field in error["fields"]


def test_unknown_item_is_404(api):
    assert_error(api.get("/api/v1/library/424242"), 404, "not_found")


def test_status_reports_plex_and_last_scan(api, runtime, plex):
    sync.full_scan(runtime)
    body = api.get("/api/v1/status").get_json()
    assert body["plex"]["reachable"] is True
    assert body["plex"]["machine_identifier"] == plex.machine_identifier
    assert body["library_configured"] is True
    assert body["last_scan"]["status"] == "ok" and body["last_scan"]["summary"]["total"] == len(plex.catalogue)
    assert body["counts"]["library_items"] == len(plex.catalogue)


def test_config_masks_secrets(api, plex):
    body = api.get("/api/v1/config").get_json()
    text = str(body)
    assert plex.token not in text and API_KEY not in text
    assert body["settings"]["plex_token"]["value"] == "********"
    assert body["settings"]["plex_url"]["value"] == plex.url


def test_config_update_validates_every_field(api, runtime):
    error = assert_error(api.put("/api/v1/config", json={"plex_url": "ftp://x", "scan_page_size": "many",
                                                          "port": 1, "nope": 1}), 422, "invalid_settings")
    assert set(error["fields"]) == {"plex_url", "scan_page_size", "port", "nope"}
    assert runtime.config().scan_page_size == 1000


@pytest.mark.parametrize("hours", [0.001, 0, -1, 1e308, "nan", "inf"])
def test_a_session_length_that_would_sign_everyone_out_or_overflow_is_refused(api, runtime, hours):
    error = assert_error(api.put("/api/v1/config", json={"session_hours": hours}), 422, "invalid_settings")
    assert set(error["fields"]) == {"session_hours"}
    assert runtime.config().session_hours == 720.0
    assert api.put("/api/v1/config", json={"session_hours": 0.25}).status_code == 200


def test_config_update_stores_token_encrypted(api, runtime):
    from sqlalchemy import select

    from plugin.models import StoredSetting
    response = api.put("/api/v1/config", json={"plex_token": "brand-new-secret-token"})
    assert response.status_code == 200
    with runtime.session() as s:
        raw = s.scalar(select(StoredSetting.value).where(StoredSetting.key == "plex_token"))
    assert raw.startswith("enc:v1:") and "brand-new-secret-token" not in raw
    assert "brand-new-secret-token" not in response.get_data(as_text=True)


def test_non_json_and_oversized_bodies(api):
    assert_error(api.put("/api/v1/config", data="plex_url=x", content_type="text/plain"), 415,
                 "unsupported_media_type")
    assert_error(api.put("/api/v1/config", data="{not json", content_type="application/json"), 400,
                 "malformed_json")
    assert_error(api.put("/api/v1/config", data="[1]", content_type="application/json"), 400, "invalid_body")
    big = '{"x": "' + "a" * (1024 * 1024 + 10) + '"}'
    assert_error(api.put("/api/v1/config", data=big, content_type="application/json"), 413,
                 "request_entity_too_large")


def test_api_key_is_generated_once_and_shown_once(tmp_path, plex, caplog):
    import logging

    from plugin.runtime import Runtime
    from plugin.web import create_app
    from tests.conftest import environment
    env = environment(tmp_path / "gen", plex)
    del env["PLEXBOOKS_API_KEY"]
    runtime = Runtime(env)
    with caplog.at_level(logging.WARNING, logger="plugin.web"):
        create_app(runtime, {"TESTING": True})
        create_app(runtime, {"TESTING": True})
    shown = [r.getMessage() for r in caplog.records if "API key" in r.getMessage()]
    assert len(shown) == 1
    key = shown[0].rsplit(" ", 1)[1]
    client = create_app(runtime, {"TESTING": True}).test_client()
    assert client.get("/api/v1/status", headers={"X-Api-Key": key}).status_code == 200
    assert client.get("/api/v1/status", headers={"X-Api-Key": key[:-1]}).status_code == 401
    from plugin.models import StoredSetting
    with runtime.session() as s:
        assert key not in str([row.value for row in s.query(StoredSetting)])
    runtime.dispose()
