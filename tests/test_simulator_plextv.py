"""The simulated plex.tv answers like the recordings in tests/fixtures/plex."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

FIXTURES = Path(__file__).parent / "fixtures" / "plex"
CLIENT = {"X-Plex-Client-Identifier": "plexbooks-test-client", "X-Plex-Product": "plexbooks"}
JSON = {**CLIENT, "Accept": "application/json"}


def _fixture(name: str):
    text = (FIXTURES / name).read_text()
    return json.loads(text) if name.endswith(".json") else ET.fromstring(text.strip())


def _kind(value) -> str:
    return "null" if value is None else type(value).__name__


def _same_shape(ours: dict, recorded: dict, *, nullable=()) -> None:
    missing = set(recorded) - set(ours)
    assert not missing, f"missing keys {sorted(missing)}"
    for key, value in recorded.items():
        if value is None or ours[key] is None or key in nullable:
            continue
        assert _kind(ours[key]) == _kind(value), f"{key}: {_kind(ours[key])} vs recorded {_kind(value)}"


def test_pins_are_shaped_like_plextv(plextv):
    created = requests.post(f"{plextv.url}/api/v2/pins?strong=true", headers=JSON, timeout=5)
    assert created.status_code == 201
    pin = created.json()
    _same_shape(pin, _fixture("plexapirs_pins_new.json"))
    assert pin["authToken"] is None and pin["clientIdentifier"] == "plexbooks-test-client"
    assert len(pin["code"]) == 25 and pin["expiresIn"] > 0
    short = requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=5).json()
    assert len(short["code"]) == 4
    waiting = requests.get(f"{plextv.url}/api/v2/pins/{pin['id']}", headers=JSON, timeout=5).json()
    assert waiting["authToken"] is None
    requests.post(f"{plextv.url}/_simulator/pins/{pin['id']}/claim", json={"username": "reader"}, timeout=5)
    linked = requests.get(f"{plextv.url}/api/v2/pins/{pin['id']}", headers=JSON, timeout=5).json()
    _same_shape(linked, _fixture("plexapirs_pins_linked.json"), nullable=("newRegistration",))
    assert linked["authToken"] == plextv.users.get("reader").plextv_token
    # another client cannot read the PIN; an expired PIN is gone
    other = requests.get(f"{plextv.url}/api/v2/pins/{pin['id']}",
                         headers={**JSON, "X-Plex-Client-Identifier": "someone-else"}, timeout=5)
    assert other.status_code == 404
    plextv.expire_pin(pin["id"])
    gone = requests.get(f"{plextv.url}/api/v2/pins/{pin['id']}", headers=JSON, timeout=5)
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == 1020
    assert requests.post(f"{plextv.url}/api/v2/pins", headers={"Accept": "application/json"},
                         timeout=5).status_code == 400


def test_pin_in_xml_without_accept_json(plextv):
    created = requests.post(f"{plextv.url}/api/v2/pins?strong=true", headers=CLIENT, timeout=5)
    root = ET.fromstring(created.content)
    assert root.tag == "pin" and root.attrib["authToken"] == "" and len(root.attrib["code"]) == 25
    assert created.headers["Content-Type"].startswith("application/xml")


def test_user_is_shaped_like_plextv(plextv):
    reader = plextv.users.get("reader")
    answer = requests.get(f"{plextv.url}/api/v2/user", headers={**JSON, "X-Plex-Token": reader.plextv_token},
                          timeout=5)
    assert answer.status_code == 200
    user = answer.json()
    recorded = _fixture("plexapirs_user_plexpass.json")
    recorded.pop("pin")        # a hashed PIN of plex.tv's own; no client reads it
    _same_shape(user, recorded)
    assert (user["id"], user["username"], user["authToken"]) == (reader.id, "reader", reader.plextv_token)
    xml = requests.get(f"{plextv.url}/api/v2/user", headers={**CLIENT, "X-Plex-Token": reader.plextv_token},
                       timeout=5)
    root = ET.fromstring(xml.content)
    assert root.tag == "user"
    assert set(_fixture("ha_plextv_account.xml").attrib) <= set(root.attrib)
    assert root.find("subscription") is not None and root.find("profile") is not None
    bad = requests.get(f"{plextv.url}/api/v2/user", headers={**JSON, "X-Plex-Token": "wrong"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["errors"][0]["code"] == 1001
    assert requests.get(f"{plextv.url}/api/v2/user", headers=JSON, timeout=5).status_code == 401


def test_resources_are_shaped_like_plextv(plex, plextv):
    reader = plextv.users.get("reader")
    answer = requests.get(f"{plextv.url}/api/v2/resources?includeHttps=1&includeRelay=1",
                          headers={**JSON, "X-Plex-Token": reader.plextv_token}, timeout=5)
    resources = answer.json()
    recorded = _fixture("plexapirs_resources.json")[0]
    server = next(r for r in resources if r["provides"] == "server")
    _same_shape(server, recorded, nullable=("ownerId", "sourceTitle"))
    assert set(server["connections"][0]) == set(recorded["connections"][0])
    assert server["clientIdentifier"] == plex.machine_identifier
    assert server["accessToken"] == reader.server_token and server["owned"] is False
    assert server["ownerId"] == plextv.users.owner.id and server["connections"][0]["uri"] == plex.url
    assert any(r["provides"] != "server" and r["accessToken"] == "" for r in resources)
    owner = plextv.users.owner
    mine = requests.get(f"{plextv.url}/api/v2/resources", headers={**JSON, "X-Plex-Token": owner.plextv_token},
                        timeout=5).json()
    assert next(r for r in mine if r["provides"] == "server")["owned"] is True
    stranger = plextv.users.get("stranger")
    theirs = requests.get(f"{plextv.url}/api/v2/resources",
                          headers={**JSON, "X-Plex-Token": stranger.plextv_token}, timeout=5).json()
    assert [r for r in theirs if r["provides"] == "server"] == []


def test_resources_xml_parses_like_the_recording_through_plexapi(plex, plextv):
    from plexapi.myplex import MyPlexResource
    reader = plextv.users.get("reader")
    xml = requests.get(f"{plextv.url}/api/v2/resources?includeHttps=1&includeRelay=1",
                       headers={**CLIENT, "X-Plex-Token": reader.plextv_token}, timeout=5)
    root = ET.fromstring(xml.content)
    recorded = _fixture("ha_plextv_resources_one_server.xml")
    ours_server = next(e for e in root if e.attrib["provides"] == "server")
    recorded_server = next(e for e in recorded if e.attrib["provides"] == "server")
    assert set(ours_server.attrib) == set(recorded_server.attrib)
    assert set(ours_server.find("connections/connection").attrib) == \
        set(recorded_server.find("connections/connection").attrib)
    parsed = MyPlexResource(None, ours_server)
    assert parsed.clientIdentifier == plex.machine_identifier
    assert parsed.accessToken == reader.server_token and parsed.owned is False
    assert [c.uri for c in parsed.connections] == [plex.url]
    assert "server" in parsed.provides


def test_the_auth_page_claims_a_pin_and_forwards(plextv):
    pin = requests.post(f"{plextv.url}/api/v2/pins?strong=true", headers=JSON, timeout=5).json()
    page = requests.get(f"{plextv.url}/auth", timeout=5)
    assert "window.location.hash" in page.text and "reader" in page.text
    done = requests.post(f"{plextv.url}/auth/claim", allow_redirects=False, timeout=5,
                         data={"clientID": "plexbooks-test-client", "code": pin["code"], "username": "reader",
                               "forwardUrl": "http://127.0.0.1:9/back"})
    assert done.status_code == 303 and done.headers["Location"] == "http://127.0.0.1:9/back"
    bad = requests.post(f"{plextv.url}/auth/claim", data={"code": "nope", "username": "reader"}, timeout=5)
    assert bad.status_code == 400


@pytest.mark.parametrize("mode,status", [("error500", 500), ("unauthorized", 401), ("garbage", 200)])
def test_faults(plextv, mode, status):
    requests.post(f"{plextv.url}/_simulator/failures", json={"mode": mode, "count": 1}, timeout=5)
    faulted = requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=5)
    assert faulted.status_code == status
    if mode == "garbage":
        with pytest.raises(ValueError):
            faulted.json()
    assert requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=5).status_code == 201
    bad = requests.post(f"{plextv.url}/_simulator/failures", json={"mode": "nope"}, timeout=5)
    assert bad.status_code == 400


def test_more_faults_spoil_the_answer_each_its_own_way(plextv):
    def fault(mode: str, **extra) -> None:
        answer = requests.post(f"{plextv.url}/_simulator/failures", json={"mode": mode, "count": 1, **extra},
                               timeout=5)
        assert answer.status_code == 200, answer.text

    def pin() -> requests.Response:
        return requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=5)

    fault("error503")
    assert pin().status_code == 503
    fault("empty")
    empty = pin()
    assert empty.status_code == 200 and empty.content == b""
    fault("malformed")
    malformed = pin()
    assert malformed.status_code == 200 and malformed.json() == [{"unexpected": True}]   # JSON, wrong shape
    fault("malformed")
    assert requests.get(f"{plextv.url}/api/v2/resources", headers=JSON, timeout=5).json() == {
        "resources": "elsewhere"}                                                          # an object, not a list
    fault("truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):   # fewer bytes than Content-Length
        pin()
    fault("drop_connection")
    with pytest.raises(requests.ConnectionError):
        pin()
    fault("slow", seconds=0.6)
    with pytest.raises(requests.Timeout):
        requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=0.3)
    # "after": the first matching request is answered, the next one fails (a failure mid-way)
    fault("error500", path="/api/v2/pins", after=1)
    assert pin().status_code == 201 and pin().status_code == 500
    assert pin().status_code == 201                      # count=1: the fault is spent
    bad = requests.post(f"{plextv.url}/_simulator/failures", json={"mode": "empty", "after": -1}, timeout=5)
    assert bad.status_code == 400


def test_plexbooks_simulate_starts_plextv_too(tmp_path):
    from tests.processes import Proc, free_port, wait_for, wait_http
    port, tv_port = free_port(), free_port()
    proc = Proc(["simulate", "--port", str(port), "--books", "5", "--plextv-port", str(tv_port),
                 "--shared-user", "alice"], {}, tmp_path / "sim.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/identity")
        wait_for(lambda: "Simulated plex.tv at" in proc.log(), what="plex.tv's URL printed")
        assert f"Simulated plex.tv at http://127.0.0.1:{tv_port}" in proc.log()
        users = requests.get(f"http://127.0.0.1:{tv_port}/_simulator/users", timeout=5).json()["users"]
        assert {u["username"]: (u["owned"], u["has_access"]) for u in users} == {
            "owner": (True, True), "alice": (False, True), "stranger": (False, False)}
        pin = requests.post(f"http://127.0.0.1:{tv_port}/api/v2/pins", headers=JSON, timeout=5)
        assert pin.status_code == 201
    finally:
        proc.stop()


def test_control_api_expires_pins_and_sets_their_lifetime(plextv):
    pin = requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=5).json()
    assert requests.post(f"{plextv.url}/_simulator/pins/{pin['id']}/expire", timeout=5).status_code == 200
    assert requests.get(f"{plextv.url}/api/v2/pins/{pin['id']}", headers=JSON, timeout=5).status_code == 404
    assert requests.post(f"{plextv.url}/_simulator/pins/{pin['id']}/expire", timeout=5).status_code == 404
    assert requests.patch(f"{plextv.url}/_simulator/pins", json={"ttl_seconds": 60}, timeout=5).status_code == 200
    assert requests.post(f"{plextv.url}/api/v2/pins", headers=JSON, timeout=5).json()["expiresIn"] <= 60
    assert requests.patch(f"{plextv.url}/_simulator/pins", json={"ttl_seconds": -1}, timeout=5).status_code == 400
    assert requests.post(f"{plextv.url}/_simulator/pins/1/claim", json={"username": "nobody"},
                         timeout=5).status_code == 404
