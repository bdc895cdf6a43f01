"""Notification targets through the API: admin only, validated, the secret shown once,
hostile URLs refused with 422 and nothing stored, the delivery log and the status."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugin import urlcheck
from plugin.models import NotificationTarget
from tests.conftest import API_KEY


@pytest.fixture
def receiver_url(plex):
    # The simulated Plex and the test receivers share 127.0.0.1: Plex's host is allowed.
    return "http://127.0.0.1:9/hooks"


def _targets(runtime) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(NotificationTarget))


def test_targets_need_the_admin_key(client):
    assert client.get("/api/v1/notifications/targets").status_code == 401
    response = client.post("/api/v1/notifications/targets", json={"url": "http://127.0.0.1:9/"},
                           headers={"X-Api-Key": "wrong"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_webhook_target_lifecycle_and_the_secret_is_shown_once(api, runtime, receiver_url):
    created = api.post("/api/v1/notifications/targets", json={"url": receiver_url,
                                                              "events": ["request.available"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["kind"] == "webhook"
    assert body["events"] == ["request.available"] and body["enabled"] is True and body["paused"] is False
    target_id = body["id"]
    with runtime.session() as s:
        stored = s.get(NotificationTarget, target_id)
        assert body["secret"] not in stored.secret and stored.secret.startswith("enc:v1:")
        assert receiver_url not in stored.url
    fetched = api.get(f"/api/v1/notifications/targets/{target_id}").get_json()
    assert "secret" not in fetched and fetched["url"] == receiver_url
    listed = api.get("/api/v1/notifications/targets").get_json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert body["secret"] not in str(listed) + str(fetched)
    patched = api.patch(f"/api/v1/notifications/targets/{target_id}",
                        json={"events": ["library.added", "library.removed"], "enabled": False})
    assert patched.status_code == 200
    assert patched.get_json()["events"] == ["library.added", "library.removed"]
    assert patched.get_json()["enabled"] is False
    assert api.delete(f"/api/v1/notifications/targets/{target_id}").get_json() == {"deleted": True,
                                                                                   "id": target_id}
    assert api.get(f"/api/v1/notifications/targets/{target_id}").status_code == 404
    assert api.delete(f"/api/v1/notifications/targets/{target_id}").status_code == 404
    assert api.patch(f"/api/v1/notifications/targets/{target_id}", json={"enabled": True}).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"url": "http://127.0.0.1:9/", "colour": "red"}, "colour"),
    ({"url": "http://127.0.0.1:9/", "events": ["book.available"]}, "events"),
    ({"url": "http://127.0.0.1:9/", "events": []}, "events"),
    ({"url": "http://127.0.0.1:9/", "events": "request.available"}, "events"),
    ({"url": "http://127.0.0.1:9/", "enabled": "yes"}, "enabled"),
    ({"url": "http://127.0.0.1:9/", "kind": "pigeon"}, "kind"),
    ({"url": "http://127.0.0.1:9/", "user": 7}, "user"),
    ({"url": "http://127.0.0.1:9/", "body_template": "{title}"}, "body_template"),
    ({"kind": "apprise", "url": "json://127.0.0.1:9/", "body_template": "{title.__class__}"}, "body_template"),
    ({"kind": "apprise", "url": "json://127.0.0.1:9/", "body_template": "{secret_key}"}, "body_template"),
    ({"kind": "apprise", "url": "json://127.0.0.1:9/", "title_template": "{title:>999999999}"}, "title_template"),
    ({"kind": "apprise", "url": "nosuchscheme://x"}, "url"),
    ({"events": ["request.available"]}, "url"),
    ({"url": 42}, "url"),
])
def test_bad_target_fields_are_422_and_nothing_is_stored(api, runtime, body, field):
    response = api.post("/api/v1/notifications/targets", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields" and field in error["fields"]
    assert _targets(runtime) == 0


def test_bodies_that_are_not_json_objects(api):
    assert api.post("/api/v1/notifications/targets", data="url=x").status_code == 415
    assert api.post("/api/v1/notifications/targets", data="[", content_type="application/json").status_code == 400
    assert api.post("/api/v1/notifications/targets", json=[1]).status_code == 400


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/",
    "ftp://127.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",      # cloud metadata
    "http://10.0.0.1/",                              # another machine on the LAN
    "http://[::1]:8080/",                            # loopback, but not Plex's address
    "http://0.0.0.0:8080/",
    "http://host.invalid/",                          # does not resolve
    "http:///no-host",
    "http://127.0.0.1:99999/",                       # no such port
])
def test_hostile_target_urls_are_refused(api, runtime, url):
    response = api.post("/api/v1/notifications/targets", json={"url": url})
    assert response.status_code == 422, (url, response.get_json())
    assert "url" in response.get_json()["error"]["fields"]
    assert _targets(runtime) == 0


def test_an_apprise_url_to_a_foreign_host_is_refused(api, runtime):
    response = api.post("/api/v1/notifications/targets", json={"kind": "apprise", "url": "json://10.1.2.3/x"})
    assert response.status_code == 422 and "url" in response.get_json()["error"]["fields"]
    assert _targets(runtime) == 0


def test_a_name_that_resolves_elsewhere_is_refused(api, runtime, monkeypatch):
    # DNS cannot be served here: the resolver is the one thing replaced.
    real = urlcheck.resolve
    fake = {"hooks.example.test": {urlcheck.ipaddress.ip_address("10.9.8.7")},
            "mixed.example.test": {urlcheck.ipaddress.ip_address("127.0.0.1"),
                                   urlcheck.ipaddress.ip_address("192.168.1.20")},
            "good.example.test": {urlcheck.ipaddress.ip_address("127.0.0.1")}}
    monkeypatch.setattr(urlcheck, "resolve", lambda host: fake.get(host) or real(host))
    for host in ("hooks.example.test", "mixed.example.test"):
        response = api.post("/api/v1/notifications/targets", json={"url": f"http://{host}/x"})
        assert response.status_code == 422, host
        assert "10.9.8.7" in str(response.get_json()) or "192.168.1.20" in str(response.get_json())
    assert _targets(runtime) == 0
    assert api.post("/api/v1/notifications/targets", json={"url": "http://good.example.test/x"}).status_code == 201


def test_allowed_hosts_setting_admits_other_addresses(make_runtime, plex):
    from plugin.web import create_app
    runtime = make_runtime(plex, PLEXBOOKS_NOTIFICATION_ALLOWED_HOSTS="127.0.0.0/8, ::1")
    client = create_app(runtime, {"TESTING": True}).test_client()
    headers = {"X-Api-Key": API_KEY}
    for url in ("http://127.0.0.5:8000/x", "http://[::1]:8000/x"):
        assert client.post("/api/v1/notifications/targets", json={"url": url}, headers=headers).status_code == 201
    assert client.post("/api/v1/notifications/targets", json={"url": "http://10.0.0.1/"},
                       headers=headers).status_code == 422


def test_apprise_targets_hide_their_credentials(api, runtime):
    url = "json://bob:hunter2secret@127.0.0.1:9/notify"
    created = api.post("/api/v1/notifications/targets", json={"kind": "apprise", "url": url, "user": "7",
                                                              "body_template": "{title} is ready, {user}"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert "secret" not in body and body["events"] == ["request.available"] and body["user"] == "7"
    everything = str(body) + str(api.get("/api/v1/notifications/targets").get_json())
    assert "hunter2secret" not in everything and "127.0.0.1" in body["url"]
    with runtime.session() as s:
        assert "hunter2secret" not in s.get(NotificationTarget, body["id"]).url


def test_deliveries_log_filters_are_checked(api):
    assert api.get("/api/v1/notifications/deliveries").get_json() == {"items": [], "total": 0, "limit": 50,
                                                                      "offset": 0}
    assert api.get("/api/v1/notifications/deliveries?status=lost").status_code == 400
    assert api.get("/api/v1/notifications/deliveries?event=book.gone").status_code == 400
    assert api.get("/api/v1/notifications/deliveries?target_id=x").status_code == 400


def test_status_reports_notifications(api, receiver_url):
    api.post("/api/v1/notifications/targets", json={"url": receiver_url})
    notifications = api.get("/api/v1/status").get_json()["notifications"]
    assert notifications == {"targets": 1, "enabled": 1, "paused": [], "pending": 0, "delivered": 0}


def test_templates_render_only_plain_fields():
    from plugin.templates import check_template, render
    data = {"request": {"id": 3, "title": "Dune", "author": "Frank Herbert", "user": "7", "status": "available"}}
    assert render("{title} by {author} for {user}: {event_text}", "request.available", data) == \
        "Dune by Frank Herbert for 7: now available in Plex"
    for bad in ("{title.upper}", "{title[0]}", "{0}", "{}", "{title!r}", "{nope}", "{title"):
        with pytest.raises(ValueError):
            check_template(bad)


def test_a_password_in_a_webhook_url_is_masked(api, runtime):
    created = api.post("/api/v1/notifications/targets", json={"url": "http://hook:s3cretpass@127.0.0.1:9/in"})
    assert created.status_code == 201
    assert created.get_json()["url"] == "http://hook:********@127.0.0.1:9/in"
    assert "s3cretpass" not in str(api.get("/api/v1/notifications/targets").get_json())


@pytest.mark.parametrize("body, field, message", [
    ({"kind": "apprise"}, "kind", "cannot be changed; create a new target"),
    ({"enabled": None}, "enabled", "true or false"),
    ({"events": ["request.available", "book.gone"]}, "events", "unknown: book.gone"),
    ({"url": ""}, "url", "must be a non-empty string"),
    ({"url": "http://10.0.0.1/"}, "url", "10.0.0.1"),
    ({"user": "a\u0000b"}, "user", "NUL"),
    ({"body_template": "{title}"}, "body_template", "only Apprise targets have message text"),
    ({}, "body", "give at least one field"),
])
def test_bad_changes_keep_their_messages_and_change_nothing(api, runtime, receiver_url, body, field, message):
    created = api.post("/api/v1/notifications/targets", json={"url": receiver_url}).get_json()
    response = api.patch(f"/api/v1/notifications/targets/{created['id']}", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields" and message in error["fields"][field]
    after = api.get(f"/api/v1/notifications/targets/{created['id']}").get_json()
    assert after["updated_at"] == created["updated_at"] and after["url"] == receiver_url


def test_the_document_describes_the_notification_routes(api):
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    create = paths["/api/v1/notifications/targets"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CreateTarget")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/NewTargetOut")
    assert paths["/api/v1/notifications/targets/{target_id}"]["patch"]["requestBody"]
    log = paths["/api/v1/notifications/deliveries"]["get"]
    assert {p["name"] for p in log["parameters"]} >= {"target_id", "status", "event", "limit", "offset"}
    assert log["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/DeliveriesPage")
