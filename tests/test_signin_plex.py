"""Sign in with Plex, the whole PIN flow over HTTP against the simulated plex.tv."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from sqlalchemy import select

from plugin import accounts, state
from plugin.models import User
from tests.signin_helpers import approve, sign_in, start_pin


def _claim(client, pin_id):
    return client.post(f"/api/v1/auth/plex/pins/{pin_id}/claim")


def test_pin_has_a_strong_code_and_an_auth_url_with_the_client_identifier(accounts_app, accounts_runtime, plextv):
    pin = start_pin(accounts_app.test_client())
    assert set(pin) == {"id", "code", "auth_url", "expires_at"}
    assert len(pin["code"]) >= 20
    base, fragment = pin["auth_url"].split("#?", 1)
    assert base == plextv.auth_url
    assert fragment.startswith(f"clientID={accounts_runtime.client_identifier}&code={pin['code']}"
                               "&context[device][product]=plexbooks&forwardUrl=")
    forward = unquote(fragment.split("forwardUrl=", 1)[1])
    assert forward.endswith(f"/api/v1/auth/plex/pins/{pin['id']}/forward?next=/")
    # plexbooks identified itself to plex.tv with its persisted identifier
    method, path, headers = plextv.requests_log[-1]
    assert (method, path) == ("POST", "/api/v2/pins")
    assert headers["X-Plex-Client-Identifier"] == accounts_runtime.client_identifier
    assert headers["X-Plex-Product"] == "plexbooks"


def test_owner_signs_in_as_admin(accounts_app, plextv):
    client = accounts_app.test_client()
    pin = start_pin(client)
    answer = _claim(client, pin["id"])
    assert answer.status_code == 202 and answer.get_json() == {"status": "waiting"}
    approve(plextv, pin["id"], "owner")
    answer = _claim(client, pin["id"])
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["user"] == {"id": f"plex-{plextv.users.owner.id}", "username": "owner", "kind": "plex",
                            "role": "admin"}
    assert body["csrf_token"]
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("plexbooks_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    me = client.get("/api/v1/me").get_json()
    assert me["username"] == "owner" and me["role"] == "admin" and me["kind"] == "plex"
    assert client.get("/api/v1/users").status_code == 200


def test_shared_user_signs_in_as_user(accounts_app, plextv):
    client, csrf, user = sign_in(accounts_app, plextv, "reader")
    assert user["role"] == "user" and user["kind"] == "plex"
    assert client.get("/api/v1/library").status_code == 200
    forbidden = client.get("/api/v1/users")
    assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"


def test_a_plex_account_without_this_server_is_refused(accounts_app, accounts_runtime, plextv):
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "stranger")
    answer = _claim(client, pin["id"])
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "no_server_access"
    assert "Set-Cookie" not in answer.headers
    assert client.get("/api/v1/me").status_code == 401


def test_an_expired_pin_answers_410(accounts_app, plextv):
    plextv.pin_ttl = 0.5
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "owner")
    plextv.expire_pin(pin["id"])
    answer = _claim(client, pin["id"])
    assert answer.status_code == 410 and answer.get_json()["error"]["code"] == "pin_expired"


def test_a_pin_is_used_once(accounts_app, plextv):
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "reader")
    assert _claim(client, pin["id"]).status_code == 200
    replay = accounts_app.test_client()
    answer = _claim(replay, pin["id"])
    assert answer.status_code == 410 and answer.get_json()["error"]["code"] == "pin_expired"
    assert replay.get("/api/v1/me").status_code == 401


def test_an_unknown_pin_answers_404(accounts_app):
    answer = accounts_app.test_client().post("/api/v1/auth/plex/pins/987654/claim")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"


def test_the_browser_forward_url_completes_the_sign_in(accounts_app, plextv):
    """The user's browser: plexbooks' auth_url -> the plex.tv page -> back to the forward URL."""
    client = accounts_app.test_client()
    pin = start_pin(client)
    page_url, fragment = pin["auth_url"].split("#?", 1)
    params = {k: v[0] for k, v in parse_qs(fragment).items()}
    page = requests.get(page_url, timeout=5)
    assert page.status_code == 200 and 'value="reader"' in page.text and 'id="approve"' in page.text
    back = requests.post(f"{plextv.url}/auth/claim", allow_redirects=False, timeout=5,
                         data={"clientID": params["clientID"], "code": params["code"],
                               "forwardUrl": params["forwardUrl"], "username": "reader"})
    assert back.status_code == 303
    forward = urlsplit(back.headers["Location"])
    done = client.get(f"{forward.path}?{forward.query}")
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert client.get("/api/v1/me").get_json()["username"] == "reader"


def test_forward_after_a_refusal_sends_the_browser_home_with_the_reason(accounts_app, plextv):
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "stranger")
    done = client.get(f"/api/v1/auth/plex/pins/{pin['id']}/forward?next=//evil.example/")
    assert done.status_code == 303 and done.headers["Location"] == "/?sign_in_error=no_server_access"


def test_signing_in_again_keeps_one_user_and_fresh_tokens(accounts_app, accounts_runtime, plextv):
    sign_in(accounts_app, plextv, "reader")
    sign_in(accounts_app, plextv, "reader")
    with accounts_runtime.session() as s:
        users = s.scalars(select(User).where(User.username == "reader")).all()
        assert len(users) == 1
        stored = users[0]
        # tokens at rest are encrypted, and they are the account's own
        assert stored.plextv_token.startswith("enc:v1:") and stored.server_token.startswith("enc:v1:")
        reader = plextv.users.get("reader")
        assert accounts_runtime.vault.decrypt(stored.plextv_token)[0] == reader.plextv_token
        assert accounts_runtime.vault.decrypt(stored.server_token)[0] == reader.server_token
        assert stored.server_machine_identifier == state.machine_identifier(accounts_runtime)
    assert accounts.session_count(accounts_runtime, stored.id) == 2


def test_logout_ends_the_session_at_once(accounts_app, plextv):
    client, csrf, _ = sign_in(accounts_app, plextv, "reader")
    cookie = client.get_cookie("plexbooks_session").value
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    stale = accounts_app.test_client()
    stale.set_cookie("plexbooks_session", cookie)
    assert stale.get("/api/v1/me").status_code == 401


def test_secure_cookie_when_the_public_url_is_https(make_runtime, plex, plextv):
    from plugin.web import create_app
    from tests.conftest import plextv_env
    runtime = make_runtime(plex, PLEXBOOKS_PUBLIC_URL="https://books.example", **plextv_env(plextv))
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    app = create_app(runtime, {"TESTING": True})
    client = app.test_client()
    pin = start_pin(client)
    assert "forwardUrl=https%3A%2F%2Fbooks.example%2Fapi%2Fv1%2Fauth%2Fplex%2Fpins" in pin["auth_url"]
    approve(plextv, pin["id"], "owner")
    answer = _claim(client, pin["id"])
    assert "Secure" in answer.headers["Set-Cookie"]


def test_sign_in_needs_the_server_connected_first(make_runtime, plex, plextv):
    from plugin.web import create_app
    from tests.conftest import plextv_env
    app = create_app(make_runtime(plex, **plextv_env(plextv)), {"TESTING": True})
    answer = app.test_client().post("/api/v1/auth/plex/pins")
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "not_configured"


# -- plex.tv failing ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["error500", "garbage", "drop_connection"])
def test_plextv_failing_while_creating_a_pin(accounts_app, plextv, mode):
    plextv.set_failure(mode, path="/api/v2/pins")
    answer = accounts_app.test_client().post("/api/v1/auth/plex/pins")
    assert answer.status_code in (502, 503)
    assert answer.get_json()["error"]["code"] in ("plextv_unreachable", "plextv_bad_response")


@pytest.mark.parametrize("mode,path,status,code", [
    ("error500", "/api/v2/pins/", 503, "plextv_unreachable"),
    ("garbage", "/api/v2/pins/", 502, "plextv_bad_response"),
    ("error500", "/api/v2/user", 503, "plextv_unreachable"),
    ("garbage", "/api/v2/resources", 502, "plextv_bad_response"),
    ("unauthorized", "/api/v2/resources", 502, "plextv_unauthorized"),
])
def test_plextv_failing_during_the_claim(accounts_app, plextv, mode, path, status, code):
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "owner")
    plextv.set_failure(mode, count=1, path=path)
    answer = _claim(client, pin["id"])
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code
    assert client.get("/api/v1/me").status_code == 401
    # once plex.tv answers again the same PIN still signs in (it was not spent by the failure)
    assert _claim(client, pin["id"]).status_code == 200


def test_plextv_down(accounts_app, plextv):
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "owner")
    plextv.stop()
    answer = _claim(client, pin["id"])
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "plextv_unreachable"
    plextv.start()
    assert _claim(client, pin["id"]).status_code == 200


def test_plextv_slow_times_out(make_runtime, plex, plextv):
    from plugin.web import create_app
    from tests.conftest import plextv_env
    runtime = make_runtime(plex, PLEXBOOKS_PLEX_TIMEOUT="0.5", **plextv_env(plextv))
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    client = create_app(runtime, {"TESTING": True}).test_client()
    plextv.set_failure("slow", count=1, path="/api/v2/pins", seconds=2)
    answer = client.post("/api/v1/auth/plex/pins")
    assert answer.status_code == 503
    assert re.search(r"within 0\.5 s", answer.get_json()["error"]["message"])
    assert client.post("/api/v1/auth/plex/pins").status_code == 201


def test_bad_input_to_pin_creation(accounts_app, accounts_runtime):
    client = accounts_app.test_client()
    answer = client.post("/api/v1/auth/plex/pins", json={"next": 5, "evil": 1})
    assert answer.status_code == 422 and set(answer.get_json()["error"]["fields"]) == {"evil"}
    answer = client.post("/api/v1/auth/plex/pins", data="x", content_type="text/plain")
    assert answer.status_code == 415
    from plugin.models import AuthPin
    with accounts_runtime.session() as s:
        assert s.scalars(select(AuthPin)).all() == []


def test_two_claims_of_one_pin_at_once_sign_in_once(accounts_app, plextv):
    from concurrent.futures import ThreadPoolExecutor
    pin = start_pin(accounts_app.test_client())
    approve(plextv, pin["id"], "reader")
    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(lambda _: _claim(accounts_app.test_client(), pin["id"]).status_code, range(4)))
    assert statuses == [200, 410, 410, 410]


def test_sign_in_on_postgresql(postgres_url, plex, plextv, make_runtime):
    from plugin.web import create_app
    from tests.conftest import plextv_env
    runtime = make_runtime(plex, DATABASE_URL=postgres_url, **plextv_env(plextv))
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    app = create_app(runtime, {"TESTING": True})
    client, csrf, user = sign_in(app, plextv, "reader")
    assert user["role"] == "user"
    made = client.post("/api/v1/requests", json={"title": "Unwritten"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201 and made.get_json()["user"] == user["id"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
