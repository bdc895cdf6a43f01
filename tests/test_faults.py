"""Every path meets every fault, through the simulator's fault API.

Paths: full scan, recently-added poll, real-time event processing (webhook -> inbox), the
websocket listener, deletion from Plex, the connection test (`plexbooks connect`), the
status check, and the plex.tv calls (starting a sign-in, finishing it -- the PIN check, then
the account and its servers mid-way --, the access re-check, a user's token refresh for their
ratings). Faults: 500, 503, 401, slow (past the timeout), truncated, malformed, no
totalSize, empty, dropped connection. For each: the run (or event, or answer) says what
happened, the mirror is intact, the status explains it, and the next attempt after the fault
ends succeeds with nothing done by hand. For plex.tv: a precise JSON 502/503 (never a 500),
no user, session or PIN use left behind, and ``plextv_status`` says why.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from plugin import state
from plugin.models import InboxEvent, LibraryItem
from tests.conftest import API_KEY
from tests.internals import InboxProcessor, NotificationListener, cli_main, full_scan, make_due, recent_poll
from tests.processes import wait_for

# mode -> (set_failure keywords, what the failed run's error_class may be)
FAULTS: dict[str, tuple[dict, set[str]]] = {
    "500": ({"mode": "error500"}, {"plex_bad_response"}),
    "503": ({"mode": "error503"}, {"plex_bad_response"}),
    "401": ({"mode": "unauthorized"}, {"plex_unauthorized"}),
    "slow": ({"mode": "slow", "seconds": 2.5}, {"plex_unreachable"}),
    "truncated": ({"mode": "truncated"}, {"plex_bad_response", "plex_unreachable"}),
    "malformed": ({"mode": "malformed_xml"}, {"plex_bad_response"}),
    "no_total_size": ({"mode": "no_total_size"}, {"plex_bad_response"}),
    "empty": ({"mode": "empty"}, {"plex_bad_response"}),
    "dropped": ({"mode": "drop_connection"}, {"plex_unreachable", "plex_bad_response"}),
}
LISTING = "/library/sections/3/all"
METADATA = "/library/metadata/"
# Faults that cannot touch a path: metadata answers are not paged, so they carry no totalSize.
HARMLESS = {"realtime": {"no_total_size"}, "deletion": {"no_total_size", "truncated", "empty", "malformed"}}


@pytest.fixture
def plex(plex_factory):
    return plex_factory(books=30)


@pytest.fixture
def rt(make_runtime, plex):
    # a 1 s timeout makes "slow" (2.5 s) a timeout; small pages make a scan several requests long
    runtime = make_runtime(plex, PLEXBOOKS_PLEX_TIMEOUT="1", PLEXBOOKS_SCAN_PAGE_SIZE="8",
                           PLEXBOOKS_WEBHOOK_SECRET="fault-secret", PLEXBOOKS_ALLOW_PLEX_DELETION="true",
                           PLEXBOOKS_INBOX_MAX_ATTEMPTS="50")
    assert full_scan(runtime)["status"] == "ok"
    return runtime


@pytest.fixture
def client(rt):
    from plugin.web import create_app
    return create_app(rt, {"TESTING": True}).test_client()


def _mirror(runtime) -> dict[str, tuple]:
    with runtime.session() as s:
        return {i.guid: (i.rating_key, i.title, i.author, i.asin) for i in s.scalars(select(LibraryItem))}


def _truth(plex) -> set[str]:
    return {a.guid for a in plex.catalogue.ordered()}


def _status(client) -> dict:
    response = client.get("/api/v1/status", headers={"X-Api-Key": API_KEY})
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("job", ["full_scan", "recent_poll"])
def test_scan_and_poll_meet_every_fault(rt, plex, client, job):
    run = {"full_scan": full_scan, "recent_poll": recent_poll}[job]
    status_key = {"full_scan": "last_scan", "recent_poll": "last_recent_poll"}[job]
    for name, (fault, classes) in FAULTS.items():
        before = _mirror(rt)
        added = plex.add_album(f"Fault Book {name}", "Fault Author", webhook_per_track=False)
        # a scan: the first listing page is answered, the next one fails (a failure mid-way);
        # a poll reads one page here, so that one fails
        plex.set_failure(path=LISTING, after=1 if job == "full_scan" else 0, **fault)
        summary = run(rt)
        plex.clear_failures()
        assert summary["status"] == "failed", (name, summary)
        assert summary["error_class"] in classes, (name, summary["error_class"], summary["error"])
        assert _mirror(rt) == before, name                       # all or nothing
        last = _status(client)[status_key]
        assert last["status"] == "failed" and last["error_class"] == summary["error_class"], name
        assert last["error"] and plex.token not in json.dumps(last)
        # the fault has ended: the next run (the scheduler's) succeeds and finds the book
        again = run(rt)
        assert again["status"] == "ok", (name, again)
        assert added.guid in _mirror(rt), name
        assert _status(client)[status_key]["status"] == "ok"
    assert set(_mirror(rt)) == _truth(plex)


def test_realtime_events_meet_every_fault(rt, plex, client):
    processor = InboxProcessor(rt)
    for name, (fault, _classes) in FAULTS.items():
        before = _mirror(rt)
        album = plex.add_album(f"Webhook Book {name}", "Hook Author", webhook_per_track=False)
        payload = {"event": "library.new", "Server": {"uuid": plex.machine_identifier},
                   "Metadata": {"librarySectionID": "3", "type": "album", "ratingKey": album.rating_key}}
        response = client.post("/webhooks/plex/fault-secret", json=payload)
        assert response.status_code == 202, response.get_json()
        event_id = response.get_json()["event_id"]
        plex.set_failure(path=METADATA, **fault)
        make_due(rt)
        assert processor.run_once() == 1
        plex.clear_failures()
        with rt.session() as s:
            event = s.get(InboxEvent, event_id)
            state, error = event.status, event.last_error
        if name in HARMLESS["realtime"]:
            assert state == "done", (name, error)
        else:
            assert state == "pending" and error, (name, state, error)    # kept, with why, for a retry
            assert _mirror(rt) == before, name
            assert _status(client)["inbox"]["pending"] == 1, name
            make_due(rt)                                                  # the backoff has passed
            assert processor.run_once() == 1
            with rt.session() as s:
                assert s.get(InboxEvent, event_id).status == "done", name
        assert album.guid in _mirror(rt), name
        assert _status(client)["inbox"]["pending"] == 0


def test_deletion_meets_every_fault(rt, plex, client):
    headers = {"X-Api-Key": API_KEY}
    for name, (fault, classes) in FAULTS.items():
        album = plex.add_album(f"Delete Me {name}", "Gone Author", webhook_per_track=False)
        assert full_scan(rt)["status"] == "ok"
        created = client.post("/api/v1/requests", headers=headers,
                              json={"title": f"Delete Me {name}", "author": "Gone Author", "status": "downloaded"})
        # the book is already in the library: the request is refused as already available; make
        # one by hand that is linked to it, as the pipeline's would be
        assert created.status_code == 409, created.get_json()
        req = client.post("/api/v1/requests", headers=headers, json={"title": f"Other {name}", "user": name})
        request_id = req.get_json()["id"]
        with rt.session() as s:
            from plugin.models import AudiobookRequest
            row = s.get(AudiobookRequest, request_id)
            row.library_item_id = s.scalar(select(LibraryItem.id).where(LibraryItem.guid == album.guid))
        plex.set_failure(path=METADATA, **fault)
        response = client.delete(f"/api/v1/requests/{request_id}?delete_from_plex=true", headers=headers)
        plex.clear_failures()
        assert response.status_code == 200, (name, response.get_json())
        body = response.get_json()
        assert body["deleted"] is True                                  # Plex failing never blocks it
        if body["plex"]["deleted"]:
            # a 200 from Plex (whole, or its body spoilt after the work) is taken at its word
            assert name in HARMLESS["deletion"] | {"dropped"}, (name, body)
        else:
            assert body["plex"]["error"]["code"] in classes | {"plex_unreachable"}, (name, body)
        assert plex.token not in json.dumps(body)
        assert client.get(f"/api/v1/requests/{request_id}", headers=headers).status_code == 404
        if body["plex"]["deleted"]:
            # Plex took it: the book left the mirror with the deletion (its library.removed is sent)
            with rt.session() as s:
                assert s.scalar(select(LibraryItem.id).where(LibraryItem.guid == album.guid)) is None
            continue
        # after the fault the same item can be deleted from Plex
        again = client.post("/api/v1/requests", headers=headers, json={"title": f"Again {name}", "user": name})
        with rt.session() as s:
            from plugin.models import AudiobookRequest
            row = s.get(AudiobookRequest, again.get_json()["id"])
            row.library_item_id = s.scalar(select(LibraryItem.id).where(LibraryItem.guid == album.guid))
        ok = client.delete(f"/api/v1/requests/{again.get_json()['id']}?delete_from_plex=true", headers=headers)
        # deleted now, or already gone (a slow Plex finished the first deletion after plexbooks gave up)
        assert ok.get_json()["plex"]["deleted"] or ok.get_json()["plex"].get("note"), (name, ok.get_json())
        assert plex.catalogue.get_album(album.rating_key) is None


# Once, on SQLite: the command runs in this process (a Runtime that lives as long as pytest),
# and the database plays no part in how a connection test meets a fault.
@pytest.mark.pure
@pytest.mark.parametrize("name", list(FAULTS))
def test_connection_test_meets_every_fault(tmp_path, plex, monkeypatch, capsys, name):
    fault, classes = FAULTS[name]
    from tests.conftest import environment
    for key, value in environment(tmp_path / "data", PLEXBOOKS_PLEX_TIMEOUT="1").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PLEXBOOKS_PLEX_TOKEN", plex.token)
    plex.set_failure(**fault)
    code = cli_main(["connect", "--url", plex.url, "--token-env", "--library", "3", "--json"])
    plex.clear_failures()
    out = json.loads(capsys.readouterr().out)
    if name == "no_total_size":            # connecting reads no listing: nothing to break
        assert code == 0 and out["ok"], out
    else:
        assert code == 1 and out["ok"] is False and out["error_class"] in classes | {"plex_unreachable"}, out
        assert plex.token not in json.dumps(out)
    assert cli_main(["connect", "--url", plex.url, "--token-env", "--library", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["library"] == ["3"]


def test_websocket_meets_every_fault_and_reconnects_by_itself(rt, plex):
    listener = NotificationListener(rt, min_backoff=0.1, max_backoff=0.4)
    listener.start()
    try:
        wait_for(lambda: listener.state["connected"], 10, what="first connection")
        for name, (fault, _classes) in FAULTS.items():
            since = listener.state["since"]
            if name != "dropped":      # "dropped" is the connection itself going away, below
                plex.set_failure(path="/:/websockets", count=2, **fault)
            plex.disconnect_websockets()
            wait_for(lambda since=since: listener.state["connected"] and listener.state["since"] != since, 20,
                     what=f"{name}: reconnected by itself")
            plex.clear_failures()
        # and it still delivers: a new book arrives through it
        album = plex.add_album("Websocket After Faults", "Socket Author", webhook_per_track=False)
        wait_for(lambda: _has_event(rt, album.rating_key), 10, what="event after the faults")
    finally:
        listener.stop()


def _has_event(runtime, rating_key: str) -> bool:
    with runtime.session() as s:
        return s.scalar(select(InboxEvent.id).where(InboxEvent.rating_key == rating_key)) is not None


def test_status_explains_an_unreachable_plex_then_recovers(rt, plex, client):
    from tests.internals import plex_reachability
    for name, (fault, classes) in FAULTS.items():
        plex.set_failure(**fault)
        reach = plex_reachability(rt, fresh=True)
        plex.clear_failures()
        if name == "no_total_size":
            assert reach["reachable"], reach
            continue
        assert reach["reachable"] is False and reach["error_class"] in classes | {"plex_unreachable"}, (name, reach)
        assert plex_reachability(rt, fresh=True)["reachable"] is True


# ------------------------------------------------------------------------------ plex.tv
# mode -> (the simulated plex.tv's fault, the API's answer: status and error code)
PLEXTV_FAULTS: dict[str, tuple[dict, tuple[int, str]]] = {
    "500": ({"mode": "error500"}, (503, "plextv_unreachable")),
    "503": ({"mode": "error503"}, (503, "plextv_unreachable")),
    "401": ({"mode": "unauthorized"}, (502, "plextv_unauthorized")),
    "slow": ({"mode": "slow", "seconds": 1.5}, (503, "plextv_unreachable")),
    "truncated": ({"mode": "truncated"}, (503, "plextv_unreachable")),
    "malformed": ({"mode": "malformed"}, (502, "plextv_bad_response")),
    "not_json": ({"mode": "garbage"}, (502, "plextv_bad_response")),
    "empty": ({"mode": "empty"}, (502, "plextv_bad_response")),
    "dropped": ({"mode": "drop_connection"}, (503, "plextv_unreachable")),
}


@pytest.fixture
def tv_rt(make_runtime, plex, plextv):
    """Connected to ``plex`` and pointed at its plex.tv; a 1 s timeout makes "slow" a timeout."""
    from tests.conftest import plextv_env
    runtime = make_runtime(plex, PLEXBOOKS_PLEX_TIMEOUT="1", **plextv_env(plextv))
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    return runtime


@pytest.fixture
def tv_app(tv_rt):
    from plugin.web import create_app
    return create_app(tv_rt, {"TESTING": True})


def _precise(response, expected: tuple[int, str], name: str, plextv) -> None:
    """A JSON error in the one shape with the expected status and code; nothing secret in it."""
    body = response.get_json(silent=True)
    assert (response.status_code, (body or {}).get("error", {}).get("code")) == expected, (name, response.data)
    assert set(body["error"]) <= {"code", "message", "fields"} and body["error"]["message"], name
    assert "Traceback" not in response.get_data(as_text=True)
    tokens = [u.plextv_token for u in plextv.users.all()] + [u.server_token for u in plextv.users.all()]
    assert not [t for t in tokens if t and t in response.get_data(as_text=True)], name


def _users_and_sessions(runtime) -> tuple[int, int]:
    from sqlalchemy import func
    from plugin.models import AuthSession, User
    with runtime.session() as s:
        return (s.scalar(select(func.count()).select_from(User).where(User.kind == "plex")) or 0,
                s.scalar(select(func.count()).select_from(AuthSession)) or 0)


def test_starting_a_plex_sign_in_meets_every_plextv_fault(tv_app, tv_rt, plextv):
    from plugin.models import AuthPin
    client = tv_app.test_client()
    for name, (fault, expected) in PLEXTV_FAULTS.items():
        plextv.set_failure(path="/api/v2/pins", **fault)
        response = client.post("/api/v1/auth/plex/pins")
        plextv.clear_failures()
        _precise(response, expected, name, plextv)
        with tv_rt.session() as s:
            assert s.scalar(select(AuthPin.id)) is None, name              # no PIN stored for a failure
        assert client.post("/api/v1/auth/plex/pins").status_code == 201, name   # works again by itself
        with tv_rt.session() as s:
            s.query(AuthPin).delete()


@pytest.mark.parametrize("step", ["pin", "account", "resources"])
def test_finishing_a_plex_sign_in_meets_every_plextv_fault(tv_app, tv_rt, plextv, step):
    """plex.tv fails when the PIN is checked, or mid-way once it was claimed (reading the
    account, then its servers): no user, no session, and the same PIN signs in afterwards."""
    from tests.signin_helpers import approve, start_pin
    path = {"pin": "/api/v2/pins/", "account": "/api/v2/user", "resources": "/api/v2/resources"}[step]
    for name, (fault, expected) in PLEXTV_FAULTS.items():
        client = tv_app.test_client()
        pin = start_pin(client)
        approve(plextv, pin["id"], "reader")
        plextv.set_failure(path=path, **fault)
        response = client.post(f"/api/v1/auth/plex/pins/{pin['id']}/claim")
        plextv.clear_failures()
        _precise(response, expected, name, plextv)
        assert "Set-Cookie" not in response.headers, name
        assert _users_and_sessions(tv_rt) == (0, 0), (name, step)          # nothing half-written
        assert client.get("/api/v1/me").status_code == 401, name
        again = client.post(f"/api/v1/auth/plex/pins/{pin['id']}/claim")   # the PIN is still good
        assert again.status_code == 200, (name, step, again.get_json())
        assert client.get("/api/v1/me").get_json()["username"] == "reader", name
        assert _users_and_sessions(tv_rt) == (1, 1), name
        from plugin.models import AuthSession, User
        with tv_rt.session() as s:                                         # the next fault starts afresh
            s.query(AuthSession).delete()
            s.query(User).delete()


def test_the_access_recheck_meets_every_plextv_fault(tv_app, tv_rt, plextv):
    """A failed re-check keeps the sessions and says so on the status; a 401 is plex.tv saying
    the user's token was revoked, so that one ends the user's sessions (sign in again)."""
    from plugin import signin
    from tests.signin_helpers import sign_in
    api = tv_app.test_client()
    for name, (fault, _expected) in PLEXTV_FAULTS.items():
        reader, _csrf, _user = sign_in(tv_app, plextv, "reader")
        plextv.set_failure(path="/api/v2/resources", **fault)
        summary = signin.access_recheck(tv_rt, trigger="test")
        plextv.clear_failures()
        status = _status(api)["plextv"]
        if name == "401":
            assert summary["status"] == "ok" and summary["token_revoked"] == 1, summary
            assert reader.get("/api/v1/me").status_code == 401
            sign_in(tv_app, plextv, "reader")                               # signing in again works
        else:
            assert summary["status"] == "failed" and summary["error_class"] == "plextv_unreachable", (name, summary)
            assert summary["sessions_kept"] is True and summary["error"], name
            assert reader.get("/api/v1/me").status_code == 200, name        # nobody is thrown out
            assert status["reachable"] is False and status["error"] and "sessions are kept" in status["hint"], name
            assert status["last_access_recheck"]["error_class"] == "plextv_unreachable", name
            assert "Traceback" not in json.dumps(status)
        again = signin.access_recheck(tv_rt, trigger="test")               # the next scheduled one
        assert again["status"] == "ok" and again["token_revoked"] == 0, (name, again)
        status = _status(api)["plextv"]
        assert status["reachable"] is True and "hint" not in status and not status["error"], name


def test_a_users_ratings_meet_every_plextv_fault(tv_app, tv_rt, plex, plextv):
    """The user's server token is refused by Plex, so plexbooks asks plex.tv for a fresh one."""
    from plugin.models import User
    from tests.signin_helpers import sign_in
    first = plex.catalogue.ordered()[0].rating_key
    plex.set_user_ratings("reader", {first: 7.0})
    for name, (fault, expected) in PLEXTV_FAULTS.items():
        reader, _csrf, user = sign_in(tv_app, plextv, "reader")
        with tv_rt.session() as s:
            s.get(User, user["id"]).server_token = tv_rt.vault.encrypt(f"refused-server-token-{name}")
        plextv.set_failure(path="/api/v2/resources", **fault)
        response = reader.get("/api/v1/me/ratings")
        plextv.clear_failures()
        if name == "401":                          # the plex.tv token was revoked: signed out
            _precise(response, (401, "unauthorized"), name, plextv)
            assert reader.get("/api/v1/me").status_code == 401
            continue
        _precise(response, expected, name, plextv)
        with tv_rt.session() as s:                 # nothing stored from a failed answer
            assert tv_rt.vault.decrypt(s.get(User, user["id"]).server_token)[0] == f"refused-server-token-{name}"
        answer = reader.get("/api/v1/me/ratings")  # plex.tv answers again: a fresh token, the ratings
        assert answer.status_code == 200, (name, answer.get_json())
        assert [r["user_rating"] for r in answer.get_json()["items"]] == [7.0], name
