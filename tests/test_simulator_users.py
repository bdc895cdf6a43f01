"""Users on the simulated Plex server: the owner and shared users, each with a server access
token; a user's token reads *their* userRating; a user whose access was removed gets 401.
Driven over HTTP, through the control API and through python-plexapi."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Iterator

import pytest
import requests

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")  # before plexapi builds objects

from plexapi.exceptions import Unauthorized  # noqa: E402
from plexapi.server import PlexServer  # noqa: E402

from plugin.simulator.server import SimulatedPlex  # noqa: E402


@pytest.fixture
def sim() -> Iterator[SimulatedPlex]:
    simulated = SimulatedPlex(books=40, seed=11, timeline_delay=0.0)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def control(sim: SimulatedPlex, method: str, path: str, body: object = None) -> requests.Response:
    return requests.request(method, f"{sim.url}/_simulator{path}", json=body, timeout=10)


def xml(sim: SimulatedPlex, path: str, token: str, **params: object) -> ET.Element:
    response = requests.get(sim.url + path, params=params, headers={"X-Plex-Token": token},
                            timeout=10)
    assert response.status_code == 200, (path, response.status_code)
    return ET.fromstring(response.content)


def ratings_in(root: ET.Element, tag: str = "Directory") -> dict[str, str | None]:
    return {e.get("ratingKey"): e.get("userRating") for e in root.iter(tag)}


def test_owner_is_the_server_token_and_every_user_comes_with_tokens(sim):
    listed = control(sim, "GET", "/users").json()["users"]
    assert [u["username"] for u in listed] == ["owner"]
    assert listed[0]["owned"] is True and listed[0]["server_token"] == sim.token
    created = control(sim, "POST", "/users", {"username": "alice"})
    assert created.status_code == 201
    alice = created.json()
    assert alice["owned"] is False and alice["has_access"] is True
    assert alice["server_token"] and alice["plextv_token"] and alice["server_token"] != sim.token
    assert sim.viewer_for(alice["server_token"]).username == "alice"
    assert sim.viewer_for(sim.token) is sim.users.owner
    assert sim.viewer_for("nope") is None and sim.viewer_for(None) is None
    assert {u["username"] for u in control(sim, "GET", "/users").json()["users"]} == {"owner", "alice"}


def test_shared_user_reads_their_own_ratings_owner_reads_the_catalogues(sim):
    albums = sim.catalogue.ordered()
    rated, unrated_by_owner = albums[0], next(a for a in albums[1:] if a.user_rating is None)
    sim.update_album(rated.rating_key, user_rating=8.0)
    alice = sim.add_user("alice")
    bob = sim.add_user("bob")
    answer = control(sim, "PUT", "/users/alice/ratings",
                     {rated.rating_key: 3, unrated_by_owner.rating_key: 9.5})
    assert answer.status_code == 200 and answer.json()["ratings"] == {
        rated.rating_key: 3.0, unrated_by_owner.rating_key: 9.5}

    listing = {"type": 9, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 1000}
    as_owner = ratings_in(xml(sim, "/library/sections/3/all", sim.token, **listing))
    as_alice = ratings_in(xml(sim, "/library/sections/3/all", alice.server_token, **listing))
    as_bob = ratings_in(xml(sim, "/library/sections/3/all", bob.server_token, **listing))
    assert as_owner[rated.rating_key] == "8" and as_owner[unrated_by_owner.rating_key] is None
    assert as_alice[rated.rating_key] == "3" and as_alice[unrated_by_owner.rating_key] == "9.5"
    assert len(as_alice) == len(as_owner) == len(albums)
    # rated nothing: no userRating at all, even where the owner rated
    assert as_bob == {key: None for key in as_owner}
    owner_rated = [k for k, v in as_owner.items() if v is not None]
    assert len(owner_rated) > 1
    # everything but the rating is the same bytes
    for key in as_owner:
        if key not in (rated.rating_key, unrated_by_owner.rating_key):
            assert as_alice[key] is None

    meta = ratings_in(xml(sim, f"/library/metadata/{rated.rating_key}", alice.server_token))
    assert meta == {rated.rating_key: "3"}
    artist_children = ratings_in(xml(sim, f"/library/metadata/{rated.artist_rating_key}/children",
                                     alice.server_token))
    assert artist_children[rated.rating_key] == "3"
    recent = ratings_in(xml(sim, "/library/sections/3/recentlyAdded", bob.server_token))
    assert all(v is None for v in recent.values())


def test_a_shared_users_track_rating_is_theirs(sim):
    album = sim.catalogue.ordered()[1]
    track = album.tracks[0]
    alice = sim.add_user("alice")
    sim.set_user_ratings("alice", {track.rating_key: 6})
    mine = ratings_in(xml(sim, f"/library/metadata/{album.rating_key}/children",
                          alice.server_token), "Track")
    owners = ratings_in(xml(sim, f"/library/metadata/{album.rating_key}/children", sim.token),
                        "Track")
    assert mine[track.rating_key] == "6" and owners[track.rating_key] is None


def test_python_plexapi_with_a_users_token_sees_that_users_rating(sim):
    album = sim.catalogue.ordered()[2]
    sim.update_album(album.rating_key, user_rating=10.0)
    alice = sim.add_user("alice")
    sim.set_user_ratings("alice", {album.rating_key: 4})
    owner_view = PlexServer(sim.url, sim.token).fetchItem(int(album.rating_key))
    alice_server = PlexServer(sim.url, alice.server_token)
    alice_view = alice_server.fetchItem(int(album.rating_key))
    assert owner_view.userRating == 10.0 and alice_view.userRating == 4.0
    books = alice_server.library.sectionByID(3)
    by_key = {a.ratingKey: a.userRating for a in books.albums()}
    assert by_key[int(album.rating_key)] == 4.0
    assert sum(1 for v in by_key.values() if v is not None) == 1


def test_revoked_user_gets_401_and_access_can_come_back(sim):
    alice = sim.add_user("alice")
    assert xml(sim, "/library/sections", alice.server_token) is not None
    answer = control(sim, "PATCH", "/users/alice", {"has_access": False})
    assert answer.status_code == 200 and answer.json()["has_access"] is False
    response = requests.get(f"{sim.url}/library/sections/3/all",
                            headers={"X-Plex-Token": alice.server_token}, timeout=10)
    assert response.status_code == 401
    with pytest.raises(Unauthorized):
        PlexServer(sim.url, alice.server_token)
    assert sim.viewer_for(alice.server_token) is None
    control(sim, "PATCH", "/users/alice", {"has_access": True})
    assert xml(sim, "/library/sections", alice.server_token) is not None


def test_a_user_never_shared_with_gets_401(sim):
    stranger = control(sim, "POST", "/users", {"username": "stranger", "has_access": False}).json()
    response = requests.get(f"{sim.url}/library/sections",
                            headers={"X-Plex-Token": stranger["server_token"]}, timeout=10)
    assert response.status_code == 401


def test_add_token_still_reads_as_the_owner(sim):
    album = sim.catalogue.ordered()[0]
    sim.update_album(album.rating_key, user_rating=2.0)
    sim.add_token("extra-token")
    assert ratings_in(xml(sim, f"/library/metadata/{album.rating_key}", "extra-token")) == {
        album.rating_key: "2"}


def test_owner_ratings_set_through_the_control_api_are_the_catalogues(sim):
    album = sim.catalogue.ordered()[3]
    answer = control(sim, "PUT", "/users/owner/ratings", {album.rating_key: 7})
    assert answer.status_code == 200
    assert album.user_rating == 7.0
    assert ratings_in(xml(sim, f"/library/metadata/{album.rating_key}", sim.token)) == {
        album.rating_key: "7"}
    control(sim, "PUT", "/users/owner/ratings", {album.rating_key: None})
    assert album.user_rating is None


@pytest.mark.parametrize("method,path,body,status,code", [
    ("POST", "/users", {"username": ""}, 400, "invalid_user"),
    ("POST", "/users", {"username": "bad name"}, 400, "invalid_user"),
    ("POST", "/users", {"username": 5}, 400, "invalid_user"),
    ("POST", "/users", {"username": "x", "owned": "yes"}, 400, "invalid_user"),
    ("POST", "/users", {"username": "x", "admin": True}, 400, "invalid_user"),
    ("POST", "/users", {"username": "owner"}, 409, "user_exists"),
    ("PATCH", "/users/nobody", {"has_access": False}, 404, "not_found"),
    ("PATCH", "/users/owner", {"has_access": False}, 400, "invalid_user"),
    ("PATCH", "/users/owner", {"has_access": "no"}, 400, "invalid_user"),
    ("PATCH", "/users/owner", {"username": "x"}, 400, "invalid_user"),
    ("PUT", "/users/owner/ratings", {"999999999": 5}, 400, "invalid_ratings"),
    ("PUT", "/users/owner/ratings", {"1000": "five"}, 400, "invalid_ratings"),
    ("PUT", "/users/owner/ratings", {"1000": True}, 400, "invalid_ratings"),
    ("PUT", "/users/nobody/ratings", {}, 404, "not_found"),
    ("DELETE", "/users/owner", None, 404, "not_found"),
    ("GET", "/users/owner/tokens", None, 404, "not_found"),
])
def test_bad_user_requests_are_refused_and_change_nothing(sim, method, path, body, status, code):
    before = control(sim, "GET", "/users").json()
    answer = control(sim, method, path, body)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert control(sim, "GET", "/users").json() == before
    assert all(a.user_rating is None or 0 <= a.user_rating <= 10 for a in sim.catalogue.ordered())


def test_out_of_range_rating_is_refused_before_anything_is_stored(sim):
    sim.add_user("alice")
    good, other = sim.catalogue.ordered()[0].rating_key, sim.catalogue.ordered()[1].rating_key
    answer = control(sim, "PUT", "/users/alice/ratings", {good: 5, other: 11})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_ratings"
    assert sim.users.get("alice").ratings == {}
