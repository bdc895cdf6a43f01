"""Refresh after import: the path is mapped, must lie inside a configured section's folder,
Plex is asked to scan just that folder, and the worker polls when nothing real-time works."""
from __future__ import annotations

import time

import pytest

from plugin import refresh
from plugin.models import AudiobookRequest
from plugin.web import create_app
from tests.conftest import API_KEY

HEADERS = {"X-Api-Key": API_KEY}


def test_refresh_asks_plex_to_scan_that_folder(api, plex):
    response = api.post("/api/v1/library/refresh", json={"path": "/audiobooks/Ursula K. Le Guin/The Dispossessed"})
    assert response.status_code == 202
    assert response.get_json() == {"section_id": "3", "path": "/audiobooks/Ursula K. Le Guin/The Dispossessed",
                                   "plex_path": "/audiobooks/Ursula K. Le Guin/The Dispossessed",
                                   "refreshing": True}
    assert plex.refreshes[-1]["section_id"] == 3 or str(plex.refreshes[-1]["section_id"]) == "3"
    assert plex.refreshes[-1]["path"] == "/audiobooks/Ursula K. Le Guin/The Dispossessed"


def test_path_mappings_translate_the_pipelines_paths(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_PATH_MAPPINGS="/downloads/done=/audiobooks,/downloads=/elsewhere")
    client = create_app(runtime, {"TESTING": True}).test_client()
    response = client.post("/api/v1/library/refresh", json={"path": "/downloads/done/Author/Book/"}, headers=HEADERS)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["plex_path"] == "/audiobooks/Author/Book"
    assert plex.refreshes[-1]["path"] == "/audiobooks/Author/Book"
    outside = client.post("/api/v1/library/refresh", json={"path": "/downloads/other/Book"}, headers=HEADERS)
    assert outside.status_code == 422          # mapped to /elsewhere: in no section


@pytest.mark.parametrize("body, why", [
    ({"path": "/data/movies/Some Film"}, "no configured"),          # a section, but not an audiobook one
    ({"path": "/srv/elsewhere/Book"}, "no configured"),
    ({"path": "/audiobooks/../etc/passwd"}, ".."),
    ({"path": "/audiobooks/Author/.."}, ".."),
    ({"path": "/audiobookshelf/Author"}, "no configured"),         # a prefix of the name is not inside
    ({"path": "audiobooks/Author"}, "absolute"),
    ({"path": ""}, "required"),
    ({"path": 42}, "required"),
    ({"path": "/audiobooks/\x00"}, "NUL"),
    ({"path": "/audiobooks/" + "a" * 5000}, "4096"),
])
def test_paths_outside_the_library_are_422(api, plex, body, why):
    before = len(plex.refreshes)
    response = api.post("/api/v1/library/refresh", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    # text no database could store is refused by the one JSON reader, before the path rules
    code = "invalid_fields" if "\x00" in str(body.get("path")) else "invalid_path"
    assert error["code"] == code and why in error["fields"]["path"]
    assert len(plex.refreshes) == before


def test_refresh_input_errors(api, plex):
    assert api.post("/api/v1/library/refresh", json={"path": "/audiobooks/x", "force": True}).status_code == 422
    assert api.post("/api/v1/library/refresh", data="path=/audiobooks").status_code == 415
    assert api.post("/api/v1/library/refresh", json=["/audiobooks"]).status_code == 400
    assert plex.refreshes == []


def test_patch_downloaded_with_a_path_refreshes_that_folder(api, runtime, plex):
    created = api.post("/api/v1/requests", json={"title": "Tehanu", "status": "downloading"}).get_json()
    response = api.patch(f"/api/v1/requests/{created['id']}",
                         json={"status": "downloaded", "path": "/audiobooks/Ursula K. Le Guin/Tehanu"})
    assert response.status_code == 200 and response.get_json()["status"] == "downloaded"
    assert plex.refreshes[-1]["path"] == "/audiobooks/Ursula K. Le Guin/Tehanu"


@pytest.mark.parametrize("body, field", [
    ({"status": "downloading", "path": "/audiobooks/Tehanu"}, "path"),
    ({"path": "/audiobooks/Tehanu"}, "path"),
    ({"status": "downloaded", "path": "/srv/Tehanu"}, "path"),
    ({"status": "downloaded", "path": "/audiobooks/../Tehanu"}, "path"),
    ({"status": "downloaded", "path": 5}, "path"),
])
def test_patch_with_a_bad_path_changes_nothing(api, runtime, plex, body, field):
    created = api.post("/api/v1/requests", json={"title": "Tehanu", "status": "downloading"}).get_json()
    response = api.patch(f"/api/v1/requests/{created['id']}", json=body)
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]
    with runtime.session() as s:
        assert s.get(AudiobookRequest, created["id"]).status == "downloading"
    assert plex.refreshes == []


def test_patch_path_for_a_missing_request_is_404(api, plex):
    response = api.patch("/api/v1/requests/999", json={"status": "downloaded", "path": "/audiobooks/x"})
    assert response.status_code == 404 and plex.refreshes == []


def test_plex_down_during_a_refresh_is_503(api, plex):
    plex.stop()
    response = api.post("/api/v1/library/refresh", json={"path": "/audiobooks/x"})
    assert response.status_code == 503 and "error" in response.get_json()


def test_follow_up_polls_run_only_without_real_time_and_are_bounded(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_REFRESH_POLL_SECONDS="1,3")
    polls = refresh.FollowUpPolls(runtime)
    start = time.time()
    refresh.note_refresh(runtime, at=start)
    assert polls.due(start + 0.5, lambda: False) is False            # nothing due yet
    assert polls.due(start + 1.1, lambda: False) is True             # first delay
    assert polls.due(start + 1.2, lambda: False) is False            # once per delay
    assert polls.due(start + 3.5, lambda: True) is False             # real time works: no poll
    assert polls.due(start + 10, lambda: False) is False             # every delay used: bounded
    refresh.note_refresh(runtime, at=start + 20)
    refresh.note_refresh(runtime, at=start + 20.5)
    assert polls.due(start + 24, lambda: False) is True              # both refreshes' polls: one poll
    assert polls.due(start + 24.1, lambda: False) is False


def test_mapping_and_section_rules():
    assert refresh.map_path("/dl/a/b", ["/dl=/audiobooks"]) == "/audiobooks/a/b"
    assert refresh.map_path("/dl", ["/dl=/audiobooks"]) == "/audiobooks"
    assert refresh.map_path("/dlx/a", ["/dl=/audiobooks"]) == "/dlx/a"
    assert refresh.map_path("/dl/a", ["/dl=/x", "/dl/a=/y"]) == "/y"
    assert refresh.check_path("/audiobooks//a/./b/") == "/audiobooks/a/b"


def test_bad_path_mappings_setting_is_refused(api):
    response = api.patch("/api/v1/config", json={"path_mappings": ["downloads=/audiobooks"]})
    assert response.status_code == 422 and "path_mappings" in response.get_json()["error"]["fields"]
    response = api.patch("/api/v1/config", json={"refresh_poll_seconds": "5,x"})
    assert response.status_code == 422



def test_without_webhooks_or_websocket_the_worker_polls_after_a_refresh(tmp_path, plex):
    """The book is in Plex but nothing announces it: the follow-up poll finds it."""
    from sqlalchemy import select

    from plugin.models import JobRun
    from plugin.runtime import Runtime
    from plugin.state import worker_state
    from tests.conftest import environment
    from tests.processes import Proc, wait_for
    env = environment(tmp_path / "data", plex, PLEXBOOKS_WEBSOCKET_ENABLED="false",
                      PLEXBOOKS_REFRESH_POLL_SECONDS="1,2")
    runtime = Runtime(env)
    client = create_app(runtime, {"TESTING": True}).test_client()
    worker = Proc(["worker"], env, tmp_path / "worker.log")
    try:
        wait_for(lambda: (worker_state(runtime) or {}).get("alive"), 30, 0.1, "worker")
        with runtime.session() as s:
            wait_for(lambda: s.scalar(select(JobRun.status).where(JobRun.trigger == "startup")) == "ok", 30, 0.1,
                     "start-up scan")
        created = client.post("/api/v1/requests", json={"title": "Searoad", "author": "Ursula K. Le Guin",
                                                        "status": "downloading"}, headers=HEADERS).get_json()
        plex.catalogue.add_album("Searoad", "Ursula K. Le Guin")      # silently: no webhook, no timeline
        response = client.patch(f"/api/v1/requests/{created['id']}", headers=HEADERS,
                                json={"status": "downloaded", "path": "/audiobooks/Ursula K. Le Guin/Searoad"})
        assert response.status_code == 200
        wait_for(lambda: client.get(f"/api/v1/requests/{created['id']}", headers=HEADERS).get_json()["status"]
                 == "available", 30, 0.1, "available through the follow-up poll")
        with runtime.session() as s:
            assert s.scalar(select(JobRun.id).where(JobRun.trigger == "refresh")) is not None
    finally:
        worker.stop()
        runtime.dispose()


@pytest.mark.parametrize("realtime", ["websocket", "poll"])
def test_folder_filled_then_refresh_makes_the_request_available(tmp_path, plex, realtime):
    """The simulator's folders: files placed where Plex does not know them yet, found by the refresh."""
    import requests
    from sqlalchemy import select

    from plugin.models import JobRun
    from plugin.runtime import Runtime
    from plugin.state import worker_state
    from tests.conftest import environment
    from tests.processes import Proc, wait_for
    path = "/audiobooks/Ursula K. Le Guin/Four Ways to Forgiveness"
    placed = requests.post(f"{plex.url}/_simulator/folders", timeout=5,
                           json={"path": path, "title": "Four Ways to Forgiveness", "author": "Ursula K. Le Guin"})
    if placed.status_code == 404:
        pytest.skip("the simulator has no POST /_simulator/folders yet")
    assert placed.ok, placed.text
    env = environment(tmp_path / "data", plex, PLEXBOOKS_WEBSOCKET_ENABLED=str(realtime == "websocket").lower(),
                      PLEXBOOKS_REFRESH_POLL_SECONDS="1,3")
    runtime = Runtime(env)
    client = create_app(runtime, {"TESTING": True}).test_client()
    worker = Proc(["worker"], env, tmp_path / "worker.log")
    try:
        wait_for(lambda: (worker_state(runtime) or {}).get("alive"), 30, 0.1, "worker")
        with runtime.session() as s:       # else a slow start-up scan may find the book before the refresh poll
            wait_for(lambda: s.scalar(select(JobRun.status).where(JobRun.trigger == "startup")) == "ok", 30, 0.1,
                     "start-up scan")
        if realtime == "websocket":
            wait_for(lambda: (worker_state(runtime) or {}).get("websocket", {}).get("connected"), 30, 0.1, "ws")
        created = client.post("/api/v1/requests", headers=HEADERS, json={
            "title": "Four Ways to Forgiveness", "author": "Ursula K. Le Guin", "status": "downloading"}).get_json()
        assert created["status"] == "downloading"
        response = client.post("/api/v1/library/refresh", json={"path": path}, headers=HEADERS)
        assert response.status_code == 202
        wait_for(lambda: client.get(f"/api/v1/requests/{created['id']}", headers=HEADERS).get_json()["status"]
                 == "available", 30, 0.1, "available after the refresh")
        with runtime.session() as s:
            polled = s.scalar(select(JobRun.id).where(JobRun.trigger == "refresh"))
        assert (polled is None) == (realtime == "websocket")
    finally:
        worker.stop()
        runtime.dispose()
