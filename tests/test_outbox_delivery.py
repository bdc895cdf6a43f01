"""The outbox end to end: every change writes its event in its own transaction, the worker's
delivery loop signs and sends it, a local receiver verifies every signature and sees each
event exactly once after de-duplicating by webhook-id — through an outage, a target that
keeps failing, redirects and a kill -9 between the commit and the answer."""
from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from plugin import sync, urlcheck
from plugin.delivery import Deliverer
from plugin.models import NotificationTarget, OutboxMessage
from plugin.runtime import Runtime
from plugin.web import create_app
from tests.conftest import API_KEY, environment
from tests.processes import Proc, wait_for
from tests.receiver import Receiver

# The outage is 30 s; the suite uses a shorter one unless told otherwise.
OUTAGE_S = float(os.environ.get("PLEXBOOKS_TEST_OUTAGE_S", "3"))
FAST_RETRIES = {"PLEXBOOKS_NOTIFICATION_RETRY_BASE_SECONDS": "0.1",
                "PLEXBOOKS_NOTIFICATION_MAX_BACKOFF_SECONDS": "0.5"}


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(secret: str | None = None) -> Receiver:
        made.append(Receiver(secret))
        return made[-1]

    yield make
    for receiver in made:
        receiver.stop()


class Env:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.client = create_app(runtime, {"TESTING": True}).test_client()
        self.deliverer = Deliverer(runtime, idle_wait=0.02)

    def call(self, method: str, path: str, **kwargs):
        return getattr(self.client, method)(path, headers={"X-Api-Key": API_KEY}, **kwargs)

    def target(self, receiver: Receiver, **fields) -> dict:
        response = self.call("post", "/api/v1/notifications/targets", json={"url": receiver.url, **fields})
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        receiver.secret = body.get("secret")
        return body

    def deliver_until(self, check, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.deliverer.run_once()
            value = check()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"not delivered in {timeout} s")

    def pending(self) -> int:
        with self.runtime.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))


@pytest.fixture
def env(make_runtime, plex):
    made = Env(make_runtime(plex, **FAST_RETRIES))
    yield made
    made.deliverer.stop()


def test_every_event_arrives_signed_exactly_once_as_the_api_shows_it(env, plex, receivers):
    sync.full_scan(env.runtime)                       # the mirror before anyone listens
    receiver = receivers()
    env.target(receiver)                              # every event
    created = env.call("post", "/api/v1/requests", json={"title": "The Lathe of Heaven",
                                                         "author": "Ursula K. Le Guin", "user": "7",
                                                         "status": "downloaded"}).get_json()
    album = plex.add_album("The Lathe of Heaven", "Ursula K. Le Guin")
    sync.recent_poll(env.runtime)                     # library.added, request.available
    available = env.call("get", f"/api/v1/requests/{created['id']}").get_json()
    item = env.call("get", f"/api/v1/library/{album.rating_key}").get_json()
    plex.remove_album(album.rating_key)
    sync.full_scan(env.runtime)                       # library.removed, request.unavailable
    expected = ["library.added", "library.removed", "request.available", "request.created",
                "request.unavailable"]
    env.deliver_until(lambda: receiver.events() == expected)
    time.sleep(0.3)
    env.deliverer.run_once()
    assert receiver.events() == expected and receiver.bad_signatures == 0
    assert all(e["verified"] for e in receiver.received)
    assert env.pending() == 0
    by_type = {e["body"]["type"]: e for e in receiver.unique().values()}
    for entry in by_type.values():
        assert set(entry["body"]) == {"type", "timestamp", "data"}
        assert entry["headers"]["webhook-id"].startswith("msg_")
        assert entry["headers"]["webhook-signature"].startswith("v1,")
    assert by_type["request.created"]["body"]["data"]["request"]["id"] == created["id"]
    assert by_type["request.created"]["body"]["data"]["request"]["status"] == "downloaded"
    assert by_type["request.available"]["body"]["data"]["request"] == available
    added = by_type["library.added"]["body"]["data"]["library_item"]
    # Written with the insert: track details (files, duration, narrator) arrive in a later step.
    details = {"duration_ms", "duration", "file_paths", "narrator", "asin", "asin_source", "last_seen_at"}
    assert {k: v for k, v in added.items() if k not in details} == \
        {k: v for k, v in item.items() if k not in details}
    assert by_type["request.available"]["body"]["data"]["library_item"]["rating_key"] == album.rating_key
    gone = by_type["request.unavailable"]["body"]["data"]
    assert gone["request"]["status"] == "downloaded" and gone["request"]["library_item"] is None
    assert gone["library_item"]["rating_key"] == album.rating_key
    assert by_type["library.removed"]["body"]["data"]["library_item"]["guid"] == item["guid"]
    log = env.call("get", "/api/v1/notifications/deliveries?status=delivered").get_json()
    assert log["total"] == 5 and all(d["attempts"] == 1 and d["last_status_code"] == 200 for d in log["items"])


def test_only_subscribed_events_are_written(env, plex, receivers):
    receiver = receivers()
    env.target(receiver, events=["request.available"])
    sync.full_scan(env.runtime)                       # 40 new albums: nobody listens to library.added
    assert env.pending() == 0
    env.call("post", "/api/v1/requests", json={"title": "Nobody listens to this one"})
    assert env.pending() == 0


def test_the_receiver_down_for_a_while_gets_everything_after(env, plex, receivers):
    sync.full_scan(env.runtime)
    receiver = receivers()
    env.target(receiver, events=["request.created"])
    receiver.stop()
    down_at = time.monotonic()
    ids = [env.call("post", "/api/v1/requests", json={"title": f"Outage book {n}"}).get_json()["id"]
           for n in range(5)]
    while time.monotonic() - down_at < OUTAGE_S:
        env.deliverer.run_once()
        time.sleep(0.05)
    assert receiver.events() == []
    with env.runtime.session() as s:
        target = s.scalars(select(NotificationTarget)).one()
        assert target.consecutive_failures >= 2 and target.paused_at is None and target.last_error
    receiver.start()
    env.deliver_until(lambda: len(receiver.unique()) == 5, timeout=10)
    got = sorted(e["body"]["data"]["request"]["id"] for e in receiver.unique().values())
    assert got == ids and receiver.bad_signatures == 0


def test_a_target_failing_n_times_in_a_row_is_paused_and_resumes(make_runtime, plex, receivers):
    env = Env(make_runtime(plex, PLEXBOOKS_NOTIFICATION_MAX_FAILURES="3", **FAST_RETRIES))
    receiver = receivers()
    target = env.target(receiver, events=["request.created"])
    receiver.status = 500
    env.call("post", "/api/v1/requests", json={"title": "A book for a broken host"})
    env.deliver_until(lambda: env.call("get", "/api/v1/status").get_json()["notifications"]["paused"])
    paused = env.call("get", "/api/v1/status").get_json()["notifications"]["paused"]
    assert paused[0]["id"] == target["id"] and paused[0]["consecutive_failures"] == 3
    assert "HTTP 500" in paused[0]["last_error"]
    attempts = len(receiver.received)
    for _ in range(10):
        env.deliverer.run_once()
        time.sleep(0.05)
    assert len(receiver.received) == attempts == 3          # paused: nothing more is sent
    log = env.call("get", f"/api/v1/notifications/deliveries?target_id={target['id']}").get_json()
    assert log["items"][0]["status"] == "pending" and log["items"][0]["attempts"] == 3
    assert log["items"][0]["last_status_code"] == 500
    receiver.status = 200
    resumed = env.call("patch", f"/api/v1/notifications/targets/{target['id']}", json={"enabled": True}).get_json()
    assert resumed["paused"] is False and resumed["pending"] == 1
    env.deliver_until(lambda: len(receiver.unique()) == 1)
    assert len({e["headers"]["webhook-id"] for e in receiver.received}) == 1     # one id through every retry
    env.deliverer.stop()


def test_redirects_are_not_followed(env, receivers):
    receiver, elsewhere = receivers(), receivers()
    env.target(receiver, events=["request.created"])
    receiver.redirect_to = elsewhere.url
    env.call("post", "/api/v1/requests", json={"title": "Redirected"})
    env.deliver_until(lambda: env.call("get", "/api/v1/notifications/deliveries").get_json()["items"][0]["attempts"])
    entry = env.call("get", "/api/v1/notifications/deliveries").get_json()["items"][0]
    assert entry["status"] == "pending" and entry["last_status_code"] == 302
    assert "redirect" in entry["last_error"] and elsewhere.received == []


def test_a_target_whose_name_now_resolves_elsewhere_is_not_called(env, receivers, monkeypatch):
    receiver = receivers()
    real = urlcheck.resolve
    monkeypatch.setattr(urlcheck, "resolve", lambda host: {urlcheck.ipaddress.ip_address("127.0.0.1")}
                        if host == "hooks.example.test" else real(host))
    body = env.call("post", "/api/v1/notifications/targets",
                    json={"url": f"http://hooks.example.test:{receiver.port}/hooks"}).get_json()
    monkeypatch.setattr(urlcheck, "resolve", lambda host: {urlcheck.ipaddress.ip_address("10.20.30.40")}
                        if host == "hooks.example.test" else real(host))
    env.call("post", "/api/v1/requests", json={"title": "Rebound"})
    env.deliver_until(lambda: env.call("get", f"/api/v1/notifications/targets/{body['id']}").get_json()["last_error"])
    target = env.call("get", f"/api/v1/notifications/targets/{body['id']}").get_json()
    assert "refused" in target["last_error"] and "10.20.30.40" in target["last_error"]
    assert receiver.received == []


def test_deleting_from_plex_tells_the_host_app(make_runtime, plex, receivers):
    env = Env(make_runtime(plex, PLEXBOOKS_ALLOW_PLEX_DELETION="true", **FAST_RETRIES))
    sync.full_scan(env.runtime)
    album = plex.add_album("The Word for World Is Forest", "Ursula K. Le Guin")
    created = env.call("post", "/api/v1/requests", json={"title": "The Word for World Is Forest",
                                                         "author": "Ursula K. Le Guin", "status": "downloaded"})
    assert created.status_code == 201
    sync.recent_poll(env.runtime)
    request_id = created.get_json()["id"]
    assert env.call("get", f"/api/v1/requests/{request_id}").get_json()["status"] == "available"
    receiver = receivers()
    env.target(receiver, events=["library.removed", "request.unavailable"])
    deleted = env.call("delete", f"/api/v1/requests/{request_id}?delete_from_plex=true").get_json()
    assert deleted["plex"]["deleted"] is True
    assert env.call("get", f"/api/v1/library/{album.rating_key}").status_code == 404
    env.deliver_until(lambda: receiver.events() == ["library.removed", "request.unavailable"])
    sync.full_scan(env.runtime)                       # Plex agrees later: no second event
    time.sleep(0.2)
    env.deliverer.run_once()
    assert receiver.events() == ["library.removed", "request.unavailable"] and len(receiver.received) == 2
    env.deliverer.stop()


def test_apprise_tells_people_through_a_local_endpoint(env, plex, receivers):
    sync.full_scan(env.runtime)
    admin, alice = receivers(), receivers()
    for receiver, extra in ((admin, {}), (alice, {"user": "alice", "title_template": "Hi {user}",
                                                  "body_template": "{title} ({author}) is {event_text}"})):
        response = env.call("post", "/api/v1/notifications/targets",
                            json={"kind": "apprise", "url": f"json://127.0.0.1:{receiver.port}/notify", **extra})
        assert response.status_code == 201, response.get_json()
    for title, author, user in (("Always Coming Home", "Ursula K. Le Guin", "alice"),
                                ("The Beginning Place", "Ursula K. Le Guin", "bob")):
        assert env.call("post", "/api/v1/requests", json={"title": title, "author": author, "user": user,
                                                          "status": "downloaded"}).status_code == 201
        plex.add_album(title, author)
    sync.recent_poll(env.runtime)
    env.deliver_until(lambda: len(admin.received) == 2 and len(alice.received) == 1)
    time.sleep(0.3)
    env.deliverer.run_once()
    assert len(admin.received) == 2 and len(alice.received) == 1
    message = alice.received[0]["body"]
    assert message["title"] == "Hi alice"
    assert message["message"] == "Always Coming Home (Ursula K. Le Guin) is now available in Plex"
    assert sorted(m["body"]["message"] for m in admin.received) == [
        "Always Coming Home by Ursula K. Le Guin: now available in Plex",
        "The Beginning Place by Ursula K. Le Guin: now available in Plex"]
    log = env.call("get", "/api/v1/notifications/deliveries?status=delivered").get_json()
    assert log["total"] == 3


def test_apprise_failures_are_retried_and_logged(env, receivers):
    receiver = receivers()
    response = env.call("post", "/api/v1/notifications/targets",
                        json={"kind": "apprise", "url": f"json://127.0.0.1:{receiver.port}/notify",
                              "events": ["request.created"]})
    receiver.status = 503
    env.call("post", "/api/v1/requests", json={"title": "Loud failure"})
    env.deliver_until(lambda: len(receiver.received) >= 2)
    target = env.call("get", f"/api/v1/notifications/targets/{response.get_json()['id']}").get_json()
    assert target["consecutive_failures"] >= 2 and "Apprise" in target["last_error"]
    receiver.status = 200
    env.deliver_until(lambda: env.pending() == 0)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_worker_killed_between_commit_and_answer_still_delivers(tmp_path, plex, receivers, request, backend):
    extra = {"DATABASE_URL": request.getfixturevalue("postgres_url")} if backend == "postgresql" else {}
    env_vars = environment(tmp_path / "data", plex, PLEXBOOKS_WEBSOCKET_ENABLED="false", **FAST_RETRIES, **extra)
    runtime = Runtime(env_vars)
    env = Env(runtime)
    receiver = receivers()
    env.target(receiver, events=["request.created"])
    receiver.hang.set()                               # the body arrives, the answer never does
    created = env.call("post", "/api/v1/requests", json={"title": "Killed in flight"}).get_json()
    worker = Proc(["worker"], env_vars, tmp_path / "worker-1.log")
    try:
        wait_for(lambda: receiver.received, 30, 0.05, "first delivery attempt")
        worker.kill9()
        worker.stop()                                 # closes its log; the process is gone
        assert receiver.unique() and env.pending() == 1     # sent, never acknowledged: still pending
        receiver.hang.clear()
        worker = Proc(["worker"], env_vars, tmp_path / "worker-2.log")
        wait_for(lambda: env.pending() == 0, 30, 0.1, "delivery after restart")
    finally:
        worker.stop()
    ids = [e["headers"]["webhook-id"] for e in receiver.received]
    assert len(ids) >= 2 and len(set(ids)) == 1          # the retry carries the same webhook-id
    assert [e["body"]["data"]["request"]["id"] for e in receiver.unique().values()] == [created["id"]]
    runtime.dispose()


@pytest.mark.parametrize("readers", ["in_process", "child_processes"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_full_scan_writes_one_library_added_per_new_album(tmp_path, plex, request, backend, readers):
    """Whichever process mapped the albums (a listing child builds the rows of a large section)."""
    extra = {"DATABASE_URL": request.getfixturevalue("postgres_url")} if backend == "postgresql" else {}
    extra["PLEXBOOKS_SCAN_SUBPROCESS_MIN_ALBUMS"] = "0" if readers == "child_processes" else "1000000"
    runtime = Runtime(environment(tmp_path / "data", plex, **extra))
    env = Env(runtime)
    receiver = Receiver()
    try:
        env.target(receiver, events=["library.added"])
        summary = sync.full_scan(runtime)
        assert summary["new"] == 40
        with runtime.session() as s:
            rows = s.scalars(select(OutboxMessage)).all()
        assert len(rows) == 40 and len({r.webhook_id for r in rows}) == 40
        items = {i["rating_key"]: i for i in env.call("get", "/api/v1/library?limit=100").get_json()["items"]}
        details = {"duration_ms", "duration", "file_paths", "narrator", "asin", "asin_source", "last_seen_at"}
        for row in rows:
            item = row.payload["data"]["library_item"]
            assert row.payload["type"] == "library.added"
            assert {k: v for k, v in item.items() if k not in details} == \
                {k: v for k, v in items[item["rating_key"]].items() if k not in details}
        env.deliver_until(lambda: len(receiver.unique()) == 40)
        assert receiver.bad_signatures == 0
    finally:
        receiver.stop()
        env.deliverer.stop()
        runtime.dispose()


def test_old_deliveries_leave_the_log_pending_ones_stay(env, receivers):
    from datetime import timedelta

    from plugin.models import utcnow
    receiver = receivers()
    env.target(receiver, events=["request.created"])
    for n in range(3):
        env.call("post", "/api/v1/requests", json={"title": f"Logged {n}"})
    env.deliver_until(lambda: len(receiver.unique()) == 3)
    receiver.status = 500
    env.call("post", "/api/v1/requests", json={"title": "Still waiting"})
    env.deliver_until(lambda: len(receiver.received) >= 4)
    assert env.deliverer.prune() == 0                                  # a day old: kept
    assert env.deliverer.prune(utcnow() + timedelta(days=8)) == 3      # older than the log's 7 days
    log = env.call("get", "/api/v1/notifications/deliveries").get_json()
    assert log["total"] == 1 and log["items"][0]["status"] == "pending"
