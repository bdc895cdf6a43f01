"""Webhook intake: authentication, server check, formats, limits, coalescing; nothing stored
but what is valid."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from urllib3 import encode_multipart_formdata

from plugin import state
from plugin.models import InboxEvent
from tests.test_api_basics import assert_error

SECRET = "hook-secret-0123456789"


@pytest.fixture
def runtime(make_runtime, plex):
    runtime = make_runtime(plex, PLEXBOOKS_WEBHOOK_SECRET=SECRET)
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    return runtime


def payload(plex, *, event="library.new", section="3", item_type="album", rating_key="123", uuid=None, **meta):
    metadata = {"librarySectionType": "artist", "ratingKey": rating_key, "key": f"/library/metadata/{rating_key}",
                "guid": "plex://album/5d07bcb1403c6402904a5d4b", "librarySectionID": section, "type": item_type,
                "title": "Some Book", "parentTitle": "Some Author", "addedAt": 1700000000, **meta}
    return {"event": event, "user": True, "owner": True, "Account": {"id": 1, "title": "admin"},
            "Server": {"title": "Plex", "uuid": uuid or plex.machine_identifier}, "Metadata": metadata}


def post_multipart(client, body, secret=SECRET, thumb=True):
    """Encoded the way Plex sends it: a payload field and a JPEG thumb part."""
    fields = {"payload": json.dumps(body) if not isinstance(body, str) else body}
    if thumb:
        fields["thumb"] = ("thumb.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 2000, "image/jpeg")
    data, content_type = encode_multipart_formdata(fields)
    return client.post(f"/webhooks/plex/{secret}", data=data, content_type=content_type)


def stored(runtime) -> list[InboxEvent]:
    with runtime.session() as s:
        return list(s.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def test_library_new_is_stored_before_the_answer(client, runtime, plex):
    response = post_multipart(client, payload(plex))
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    events = stored(runtime)
    assert [e.id for e in events] == [body["event_id"]] and body["status"] == "accepted"
    event = events[0]
    assert (event.source, event.event, event.item_type, event.rating_key, event.section_key, event.status) == \
        ("webhook", "library.new", "album", "123", "3", "pending")


def test_plain_json_is_accepted(client, runtime, plex):
    response = client.post(f"/webhooks/plex/{SECRET}", json=payload(plex, rating_key="77"))
    assert response.status_code == 202
    assert stored(runtime)[0].rating_key == "77"


@pytest.mark.parametrize("secret", ["wrong", SECRET + "x", SECRET[:-1]])
def test_wrong_secret(client, runtime, plex, secret):
    assert_error(post_multipart(client, payload(plex), secret=secret), 401, "unauthorized")
    assert stored(runtime) == []


def test_missing_secret_is_not_a_route(client, plex):
    assert client.post("/webhooks/plex/", json={}).status_code == 404


def test_another_servers_uuid(client, runtime, plex):
    assert_error(post_multipart(client, payload(plex, uuid="f" * 40)), 403, "wrong_server")
    assert_error(post_multipart(client, {**payload(plex), "Server": {"title": "x"}}), 403, "wrong_server")
    assert stored(runtime) == []


def test_formats_and_malformed_bodies(client, runtime, plex):
    url = f"/webhooks/plex/{SECRET}"
    assert_error(client.post(url, data="event=library.new", content_type="text/plain"), 415, "unsupported_media_type")
    assert_error(client.post(url, data="{not json", content_type="application/json"), 400, "malformed_json")
    assert_error(post_multipart(client, "{broken"), 400, "malformed_json")
    data, content_type = encode_multipart_formdata({"other": "x"})
    assert_error(client.post(url, data=data, content_type=content_type), 400, "missing_payload")
    assert_error(client.post(url, data="[1, 2]", content_type="application/json"), 400, "invalid_payload")
    no_metadata = payload(plex)
    del no_metadata["Metadata"]
    assert_error(post_multipart(client, no_metadata), 400, "invalid_payload")
    assert_error(post_multipart(client, payload(plex, rating_key=None)), 400, "invalid_payload")
    assert_error(post_multipart(client, payload(plex, rating_key="9" * 100)), 400, "invalid_payload")
    assert_error(post_multipart(client, {"Server": {"uuid": plex.machine_identifier}}), 400, "invalid_payload")
    assert stored(runtime) == []


def test_oversized_body(client, runtime, plex):
    big = payload(plex, summary="x" * (600 * 1024))
    assert_error(post_multipart(client, big), 413, "payload_too_large")
    assert stored(runtime) == []


@pytest.mark.parametrize("changes,reason", [
    ({"event": "media.play"}, "media.play"),
    ({"event": "library.on.deck"}, "library.on.deck"),
    ({"section": "1"}, "section 1"),
    ({"item_type": "movie"}, "movie"),
])
def test_other_valid_events_are_ignored_and_not_stored(client, runtime, plex, changes, reason):
    response = post_multipart(client, payload(plex, **changes))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ignored" and reason in body["reason"]
    assert stored(runtime) == []


def test_replays_and_track_floods_coalesce(client, runtime, plex):
    for _ in range(3):
        assert post_multipart(client, payload(plex, rating_key="500")).status_code == 202
    for i in range(40):   # one event per track of album 600
        response = post_multipart(client, payload(plex, item_type="track", rating_key=str(1000 + i),
                                                  parentRatingKey="600"), thumb=False)
        assert response.status_code == 202
    events = stored(runtime)
    assert [(e.dedupe_key, e.coalesced) for e in events] == [("album:500", 2), ("album:600", 39)]


def test_not_connected_yet(tmp_path, plex):
    from plugin.runtime import Runtime
    from plugin.web import create_app
    from tests.conftest import environment
    runtime = Runtime(environment(tmp_path / "fresh", plex, PLEXBOOKS_WEBHOOK_SECRET=SECRET))
    assert state.machine_identifier(runtime) is None
    fresh = create_app(runtime, {"TESTING": True}).test_client()
    assert_error(post_multipart(fresh, payload(plex)), 409, "not_configured")
    assert stored(runtime) == []
    runtime.dispose()


def test_status_and_config_show_the_webhook_url(api, runtime, client, plex):
    body = api.get("/api/v1/status").get_json()
    assert body["webhook"]["url"].endswith(f"/webhooks/plex/{SECRET}")
    assert body["webhook"]["last_received_at"] is None and "Plex Pass" in body["webhook"]["hint"]
    assert body["inbox"]["pending"] == 0
    post_multipart(client, payload(plex))
    body = api.get("/api/v1/status").get_json()
    assert body["webhook"]["last_received_at"] and "hint" not in body["webhook"] and body["inbox"]["pending"] == 1
    config = api.get("/api/v1/config").get_json()
    assert config["webhook_url"].endswith(SECRET) and config["settings"]["webhook_secret"]["value"] == "********"


def test_generated_secret_is_stored_once(make_runtime, plex):
    runtime = make_runtime(plex)
    first = state.webhook_secret(runtime)
    assert len(first) >= 24 and state.webhook_secret(runtime) == first
    with runtime.session() as s:
        from plugin.models import StoredSetting
        assert s.get(StoredSetting, "webhook_secret").value.startswith("enc:v1:")
