"""First run over HTTP (setup code, connection test and save), near-miss review, the cover proxy
and the path prefix: every bad input is a precise 4xx and stores nothing."""
from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from plugin import setup, state, sync
from plugin.models import RejectedCandidate, User
from plugin.web.prefix import clean_prefix
from tests.test_api_basics import assert_error

PASSWORD = "a long enough password"


@pytest.fixture
def fresh(make_runtime, plex, caplog):
    """A fresh installation: no Plex configured, no admin; the setup code from the log."""
    from plugin.web import create_app
    runtime = make_runtime(None)
    with caplog.at_level(logging.WARNING, logger="plugin.setup"):
        app = create_app(runtime, {"TESTING": True})
    found = [re.search(r"setup code (\S+)", r.getMessage()) for r in caplog.records]
    code = next(m.group(1) for m in found if m)
    return runtime, app, code


def _admins(runtime) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("body,status,field", [
    ({"setup_code": "AAAA-BBBB-CCCC", "username": "admin", "password": PASSWORD}, 403, "setup_code"),
    ({"setup_code": "x", "username": "admin"}, 422, "password"),
    ({"setup_code": "x", "username": "admin", "password": PASSWORD, "role": "admin"}, 422, "role"),
    ({"setup_code": "x\u0000", "username": "admin", "password": PASSWORD}, 422, "setup_code"),
    ({"setup_code": 12, "username": "admin", "password": PASSWORD}, 422, "setup_code"),
])
def test_first_admin_needs_the_setup_code(fresh, body, status, field):
    runtime, app, _code = fresh
    response = app.test_client().post("/api/v1/setup/admin", json=body)
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]
    assert _admins(runtime) == 0
    assert "Set-Cookie" not in response.headers


def test_setup_code_creates_the_admin_once(fresh):
    runtime, app, code = fresh
    client = app.test_client()
    assert client.get("/api/v1/setup").get_json()["needs_admin"] is True
    short = client.post("/api/v1/setup/admin", json={"setup_code": code, "username": "admin", "password": "short"})
    assert_error(short, 422, "invalid_fields")
    response = client.post("/api/v1/setup/admin", json={"setup_code": code.lower(), "username": "admin",
                                                        "password": PASSWORD})
    assert response.status_code == 200 and response.get_json()["user"]["role"] == "admin"
    assert client.get("/api/v1/me").get_json()["username"] == "admin"       # signed in by the cookie
    again = app.test_client().post("/api/v1/setup/admin", json={"setup_code": code, "username": "eve",
                                                                "password": PASSWORD})
    assert_error(again, 409, "already_set_up")
    assert _admins(runtime) == 1 and setup.ensure_setup_code(runtime) is None
    assert code not in response.get_data(as_text=True)


@pytest.fixture
def admin(fresh):
    runtime, app, code = fresh
    client = app.test_client()
    body = client.post("/api/v1/setup/admin", json={"setup_code": code, "username": "admin",
                                                     "password": PASSWORD}).get_json()
    client.environ_base["HTTP_X_CSRF_TOKEN"] = body["csrf_token"]
    return runtime, client


@pytest.mark.parametrize("body,field", [
    ({"plex_url": "ftp://x", "plex_token": "t"}, "plex_url"),
    ({"plex_url": "http://127.0.0.1:9", "plex_token": "t"}, "plex_url"),      # nothing listens there
    ({"plex_token": "t"}, "plex_url"),
    ({"plex_url": "http://x", "plex_token": "bad\udc80"}, "plex_token"),
    ({"plex_url": "http://x", "plex_token": "t", "extra": 1}, "extra"),
])
def test_connection_test_names_the_field(admin, body, field):
    runtime, client = admin
    response = client.post("/api/v1/setup/test", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert runtime.config().plex_url is None


def test_wrong_token_then_right_then_save(admin, plex):
    runtime, client = admin
    wrong = client.post("/api/v1/setup/test", json={"plex_url": plex.url, "plex_token": "wrong-token-here"})
    assert wrong.status_code == 422 and "plex_token" in wrong.get_json()["error"]["fields"]
    assert "wrong-token-here" not in wrong.get_data(as_text=True)
    right = client.post("/api/v1/setup/test", json={"plex_url": plex.url, "plex_token": plex.token})
    assert right.status_code == 200, right.get_json()
    body = right.get_json()
    assert body["server"]["machine_identifier"] == plex.machine_identifier
    books = {lib["key"]: lib["count"] for lib in body["libraries"]}
    assert books["3"] == len(plex.catalogue)
    assert state.machine_identifier(runtime) is None                 # a test saves nothing
    refused = client.post("/api/v1/setup/save", json={"plex_url": plex.url, "plex_token": plex.token,
                                                      "plex_library": ["999"]})
    assert refused.status_code == 422 and "plex_library" in refused.get_json()["error"]["fields"]
    assert runtime.config().plex_url is None
    saved = client.post("/api/v1/setup/save", json={"plex_url": plex.url, "plex_token": plex.token,
                                                    "plex_library": ["3"]})
    assert saved.status_code == 200
    config = runtime.config()
    assert (config.plex_url, config.plex_token, config.plex_library) == (plex.url, plex.token, ["3"])
    assert state.machine_identifier(runtime) == plex.machine_identifier
    assert plex.token not in saved.get_data(as_text=True)


@pytest.fixture
def near_miss(api, runtime, plex):
    item = plex.catalogue.add_album("The Clockwork Orchard", "Imogen Saltmarsh", "Nell Barrow")
    sync.full_scan(runtime)
    req = api.post("/api/v1/requests", json={"title": "Clockwork Orchard and Other Tales",
                                             "author": "Imogen Saltmarsh", "status": "failed"}).get_json()
    candidates = api.get(f"/api/v1/requests/{req['id']}/candidates").get_json()["items"]
    found = [c for c in candidates if c["library_item"]["rating_key"] == item.rating_key]
    assert found and not found[0]["match"]
    return req["id"], found[0]["library_item"]["id"]


def test_accept_links_the_item_with_reason_manual(api, near_miss):
    request_id, item_id = near_miss
    response = api.post(f"/api/v1/requests/{request_id}/candidates/{item_id}/accept")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "available" and body["match"]["reason"] == "manual"
    assert body["library_item"]["id"] == item_id and body["search_attempts"] == 0 and body["completed_at"]
    assert_error(api.post(f"/api/v1/requests/{request_id}/candidates/{item_id}/accept"), 409, "not_open")


def test_reject_is_never_proposed_again(api, runtime, near_miss):
    request_id, item_id = near_miss
    first = api.post(f"/api/v1/requests/{request_id}/candidates/{item_id}/reject").get_json()
    second = api.post(f"/api/v1/requests/{request_id}/candidates/{item_id}/reject").get_json()
    assert first["new"] is True and second["new"] is False
    items = api.get(f"/api/v1/requests/{request_id}/candidates?limit=50").get_json()["items"]
    assert item_id not in [c["library_item"]["id"] for c in items]
    with runtime.session() as s:
        assert s.scalar(select(func.count()).select_from(RejectedCandidate)) == 1


@pytest.mark.parametrize("path", ["/api/v1/requests/999/candidates/1/accept",
                                  "/api/v1/requests/999/candidates/1/reject"])
def test_review_of_unknown_request_is_404(api, path):
    assert_error(api.post(path), 404, "not_found")


def test_review_of_unknown_item_is_404(api, near_miss, runtime):
    request_id, _ = near_miss
    assert_error(api.post(f"/api/v1/requests/{request_id}/candidates/424242/reject"), 404, "not_found")
    with runtime.session() as s:
        assert s.scalar(select(func.count()).select_from(RejectedCandidate)) == 0


def test_cover_is_proxied_and_cached(api, runtime, plex):
    sync.full_scan(runtime)
    item = api.get("/api/v1/library?limit=1").get_json()["items"][0]
    first = api.get(f"/api/v1/library/{item['rating_key']}/cover")
    assert first.status_code == 200 and first.mimetype == "image/jpeg" and first.data[:2] == b"\xff\xd8"
    assert plex.token.encode() not in first.data and plex.token not in str(first.headers)
    asked = len([r for r in plex.requests_log if "/thumb" in r[1]])
    second = api.get(f"/api/v1/library/{item['rating_key']}/cover")
    assert second.data == first.data
    assert len([r for r in plex.requests_log if "/thumb" in r[1]]) == asked      # served from the cache
    assert_error(api.get("/api/v1/library/424242/cover"), 404, "not_found")


@pytest.mark.parametrize("raw,clean", [
    ("/api/hassio_ingress/abc_DEF-1", "/api/hassio_ingress/abc_DEF-1"), ("/plexbooks/", "/plexbooks"),
    ("plexbooks", ""), ("//evil.example", ""), ("/a/../b", ""), ("/a b", ""), ("/x\"><script>", ""), ("", ""),
])
def test_prefix_is_plain_path_segments_only(raw, clean):
    assert clean_prefix(raw) == clean


@pytest.mark.parametrize("header", ["X-Ingress-Path", "X-Forwarded-Prefix"])
def test_redirects_and_links_carry_the_prefix(fresh, header):
    _runtime, app, _code = fresh
    client = app.test_client()
    response = client.get("/", headers={header: "/proxied/plexbooks"})
    assert response.status_code == 303 and response.headers["Location"] == "/proxied/plexbooks/setup"
    html = client.get("/setup", headers={header: "/proxied/plexbooks"}).get_data(as_text=True)
    links = re.findall(r'(?:src|href)="(/[^"]*)"', html)
    assert links and all(link.startswith("/proxied/plexbooks/") for link in links), links
    assert 'data-base="/proxied/plexbooks"' in html
    # a proxy that forwards the prefixed path is served too
    assert client.get("/proxied/plexbooks/setup", headers={header: "/proxied/plexbooks"}).status_code == 200


def test_owner_picks_a_server_from_plex_tv(make_runtime, plex, plextv, caplog):
    from plugin.web import create_app
    from tests.conftest import plextv_env
    from tests.signin_helpers import approve
    runtime = make_runtime(None, **plextv_env(plextv))
    with caplog.at_level(logging.WARNING, logger="plugin.setup"):
        app = create_app(runtime, {"TESTING": True})
    code = next(m.group(1) for m in (re.search(r"setup code (\S+)", r.getMessage()) for r in caplog.records) if m)
    client = app.test_client()
    body = client.post("/api/v1/setup/admin", json={"setup_code": code, "username": "admin",
                                                     "password": PASSWORD}).get_json()
    client.environ_base["HTTP_X_CSRF_TOKEN"] = body["csrf_token"]
    pin = client.post("/api/v1/setup/plex/pins").get_json()
    assert client.post(f"/api/v1/setup/plex/pins/{pin['id']}/servers").status_code == 202
    approve(plextv, pin["id"], "owner")
    found = client.post(f"/api/v1/setup/plex/pins/{pin['id']}/servers")
    assert found.status_code == 200
    servers = found.get_json()["servers"]
    assert [s["machine_identifier"] for s in servers] == [plex.machine_identifier]
    assert servers[0]["url"] == plex.url and servers[0]["connections"] == [{"uri": plex.url, "ok": True}]
    assert plex.token not in found.get_data(as_text=True)
    unknown = client.post("/api/v1/setup/test", json={"plex_url": plex.url, "server": "not-a-server"})
    assert unknown.status_code == 422 and "server" in unknown.get_json()["error"]["fields"]
    tested = client.post("/api/v1/setup/test", json={"plex_url": plex.url, "server": plex.machine_identifier})
    assert tested.status_code == 200 and tested.get_json()["server"]["machine_identifier"] == plex.machine_identifier
    saved = client.post("/api/v1/setup/save", json={"plex_url": plex.url, "server": plex.machine_identifier,
                                                    "plex_library": ["3"]})
    assert saved.status_code == 200 and runtime.config().plex_token == plex.token
