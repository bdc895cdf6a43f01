"""Every route of the app (whatever blueprint added it) x every kind of caller -> the expected
status, never a 500; and CSRF on every unsafe route."""
from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.routing import IntegerConverter

from plugin import accounts
from plugin.models import AuthSession, utcnow
from plugin.web.auth import COOKIE, access_of, authorize
from tests.conftest import API_KEY
from tests.signin_helpers import sign_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Who may call what (issue 8): a user may read the library and availability, create requests for
# themselves, list and cancel their own; the sign-in endpoints need nobody. Every other /api/v1
# route is the admin's: a route added elsewhere that users may call belongs in this table.
EXPECTED_ACCESS = {
    "api_library.list_library": "user", "api_library.get_item": "user", "api_requests.availability": "user",
    "api_requests.create_request": "user", "api_requests.list_requests": "user",
    "api_requests.get_request": "user", "api_requests.update_request": "user",
    "api_auth.me": "user", "api_auth.my_ratings": "user",
    "api_auth.create_pin": "public", "api_auth.claim_pin": "public", "api_auth.forward": "public",
    "api_auth.login": "public", "api_auth.logout": "public",
    "api_setup.state": "public", "api_setup.first_admin": "public", "covers.cover": "user",
    "openapi.document": "public",
}
IDENTITIES = ("nobody", "user", "admin", "api_key", "forged", "expired")


def _path(rule) -> str:
    values = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "x" for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _protected(app, endpoint: str) -> bool:
    """Whether the route goes through the auth check (a before_request of its blueprint)."""
    parts = endpoint.split(".")[:-1]
    names = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(authorize in app.before_request_funcs.get(name, []) for name in names)


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.fixture
def world(accounts_app, accounts_runtime, plextv):
    """Signed-in owner (admin) and shared user, through the real PIN flow once."""
    _, _, admin = sign_in(accounts_app, plextv, "owner")
    _, _, user = sign_in(accounts_app, plextv, "reader")
    expired_cookie, _ = accounts.start_session(accounts_runtime, user["id"], None)
    with accounts_runtime.session() as s:
        for row in s.query(AuthSession).all():
            if row.id == accounts._digest(expired_cookie):
                row.expires_at = utcnow() - timedelta(seconds=1)
    return {"app": accounts_app, "runtime": accounts_runtime, "admin": admin["id"], "user": user["id"],
            "expired": expired_cookie}


def _call(world, identity: str, method: str, path: str, *, csrf: bool = True):
    client = world["app"].test_client()
    headers: dict[str, str] = {}
    if identity == "api_key":
        headers["X-Api-Key"] = API_KEY
    elif identity in ("user", "admin"):
        # a fresh session per call: a logout in the walk must not sign the next call out
        cookie, token = accounts.start_session(world["runtime"], world[identity], None)
        client.set_cookie(COOKIE, cookie)
        if csrf:
            headers["X-CSRF-Token"] = token
    elif identity == "forged":
        client.set_cookie(COOKIE, "forged-" + "A" * 40)
    elif identity == "expired":
        client.set_cookie(COOKIE, world["expired"])
    kwargs = {"json": {}} if method in UNSAFE else {}
    return client.open(path, method=method, headers=headers, **kwargs)


def test_every_route_every_caller(world):
    app = world["app"]
    checked = 0
    problems: list[str] = []
    for rule, method in _routes(app):
        path = _path(rule)
        view = app.view_functions[rule.endpoint]
        protected = _protected(app, rule.endpoint)
        access = EXPECTED_ACCESS.get(rule.endpoint, "admin") if rule.rule.startswith("/api/v1") \
            else access_of(view)
        if rule.rule.startswith("/api/v1") and not protected:
            problems.append(f"{method} {rule.rule} is not behind the auth check")
        if access != access_of(view):
            problems.append(f"{method} {rule.rule} lets {access_of(view)} in, expected {access}")
        for identity in IDENTITIES:
            response = _call(world, identity, method, path)
            status = response.status_code
            code = (response.get_json(silent=True) or {}).get("error", {}).get("code")
            where = f"{method} {rule.rule} as {identity}: {status} {code}"
            checked += 1
            if status >= 500 and code not in ("plex_unreachable", "plextv_unreachable"):
                problems.append(where)
            if not protected:
                continue
            if identity in ("nobody", "forged", "expired"):
                if access != "public" and (status, code) != (401, "unauthorized"):
                    problems.append(f"{where} (expected 401 unauthorized)")
                if access == "public" and code == "unauthorized":
                    problems.append(f"{where} (public route refused)")
            elif identity == "user":
                if access == "admin" and (status, code) != (403, "forbidden"):
                    problems.append(f"{where} (expected 403 forbidden)")
                if access != "admin" and (status == 401 or code in ("forbidden", "csrf_failed")):
                    problems.append(f"{where} (a user may call this)")
            elif status == 401 and code == "unauthorized" or status == 403:
                problems.append(f"{where} (an admin may call everything)")
    assert not problems, "\n".join(problems)
    assert checked >= 30 * len(IDENTITIES)


def test_forged_and_expired_cookies_are_dropped(world):
    response = _call(world, "expired", "GET", "/api/v1/me")
    assert response.status_code == 401
    assert f"{COOKIE}=;" in response.headers["Set-Cookie"]
    with world["runtime"].session() as s:     # the expired row is gone too
        assert s.get(AuthSession, accounts._digest(world["expired"])) is None


def test_every_unsafe_route_refuses_a_cookie_call_without_the_csrf_token(world):
    app = world["app"]
    unsafe = [(rule, method) for rule, method in _routes(app)
              if method in UNSAFE and _protected(app, rule.endpoint)]
    assert len(unsafe) >= 12
    problems = []
    for rule, method in unsafe:
        path = _path(rule)
        for identity in ("admin", "user"):
            response = _call(world, identity, method, path, csrf=False)
            body = response.get_json(silent=True) or {}
            if (response.status_code, body.get("error", {}).get("code")) != (403, "csrf_failed"):
                problems.append(f"{method} {rule.rule} as {identity} without token: {response.status_code}")
        # a wrong token is no better
        cookie, _ = accounts.start_session(world["runtime"], world["admin"], None)
        client = app.test_client()
        client.set_cookie(COOKIE, cookie)
        wrong = client.open(path, method=method, json={}, headers={"X-CSRF-Token": "not-the-token"})
        if wrong.status_code != 403:
            problems.append(f"{method} {rule.rule} with a wrong token: {wrong.status_code}")
        # the API key needs no token
        keyed = _call(world, "api_key", method, path, csrf=False)
        if (keyed.get_json(silent=True) or {}).get("error", {}).get("code") == "csrf_failed":
            problems.append(f"{method} {rule.rule} asked the API key for a CSRF token")
    assert not problems, "\n".join(problems)


def test_a_refused_call_changes_nothing(world, accounts_runtime):
    from plugin.models import AudiobookRequest
    response = _call(world, "user", "POST", "/api/v1/requests", csrf=False)
    assert response.status_code == 403
    client = world["app"].test_client()
    cookie, _ = accounts.start_session(accounts_runtime, world["user"], None)
    client.set_cookie(COOKIE, cookie)
    assert client.post("/api/v1/requests", json={"title": "Dune"}).status_code == 403
    with accounts_runtime.session() as s:
        assert s.query(AudiobookRequest).count() == 0
