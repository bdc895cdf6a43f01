"""A user's own ratings, read with their own server token; the system token is never decrypted."""
from __future__ import annotations

from sqlalchemy import select

from plugin import state, sync
from plugin.models import User
from plugin.runtime import Runtime
from plugin.web import create_app
from tests.conftest import environment, plextv_env
from tests.signin_helpers import sign_in, sign_in_local


def _albums(plex, n: int) -> list[str]:
    return [album.rating_key for album in plex.catalogue.ordered()[:n]]


def test_a_shared_user_gets_their_own_ratings(accounts_app, plex, plextv):
    first, second, third = _albums(plex, 3)
    plex.set_user_ratings("reader", {first: 8.0, second: 4.0})
    plex.set_user_ratings("owner", {third: 10.0})
    reader, _, _ = sign_in(accounts_app, plextv, "reader")
    answer = reader.get("/api/v1/me/ratings")
    assert answer.status_code == 200
    body = answer.get_json()
    assert [(r["rating_key"], r["user_rating"]) for r in body["items"]] == [(first, 8.0), (second, 4.0)]
    assert body["total"] == 2
    owner, _, _ = sign_in(accounts_app, plextv, "owner")
    owned = owner.get("/api/v1/me/ratings").get_json()["items"]
    assert (third, 10.0) in [(r["rating_key"], r["user_rating"]) for r in owned]
    assert first not in [r["rating_key"] for r in owned if r["user_rating"] == 8.0]


def test_a_refused_server_token_is_refreshed_from_plextv(accounts_app, accounts_runtime, plex, plextv):
    first = _albums(plex, 1)[0]
    plex.set_user_ratings("reader", {first: 6.0})
    reader, _, user = sign_in(accounts_app, plextv, "reader")
    with accounts_runtime.session() as s:       # a server token Plex no longer accepts
        s.get(User, user["id"]).server_token = accounts_runtime.vault.encrypt("stale-server-token")
    answer = reader.get("/api/v1/me/ratings")
    assert answer.status_code == 200 and answer.get_json()["items"][0]["rating_key"] == first
    with accounts_runtime.session() as s:
        fresh = s.get(User, user["id"]).server_token
    assert accounts_runtime.vault.decrypt(fresh)[0] == plextv.users.get("reader").server_token


def test_a_user_whose_access_was_removed_is_signed_out_on_the_ratings_call(accounts_app, plex, plextv):
    reader, _, _ = sign_in(accounts_app, plextv, "reader")
    plex.set_user_access("reader", False)
    answer = reader.get("/api/v1/me/ratings")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "no_server_access"
    assert reader.get("/api/v1/me").status_code == 401


def test_a_local_admin_gets_the_ratings_the_scan_cached(accounts_app, accounts_runtime, plex):
    from plugin import accounts
    rated = _albums(plex, 1)[0]
    plex.set_user_ratings("owner", {rated: 9.0})
    assert sync.full_scan(accounts_runtime)["status"] == "ok"
    leaks_password = "local admin password"
    from tests import leaks
    leaks.track(leaks_password)
    accounts.upsert_local_admin(accounts_runtime, "admin", leaks_password)
    client, _, _ = sign_in_local(accounts_app, "admin", leaks_password)
    plex.clear_requests_log()
    items = client.get("/api/v1/me/ratings").get_json()["items"]
    assert (rated, 9.0) in [(i["rating_key"], i["user_rating"]) for i in items]
    assert all(i["title"] for i in items)
    assert plex.requests_log == []          # from the mirror, not from Plex


def test_the_system_token_is_never_decrypted_for_a_users_sign_in_or_ratings(tmp_path, plex, plextv):
    env = environment(tmp_path / "data", plex, **plextv_env(plextv))
    env.pop("PLEXBOOKS_PLEX_TOKEN")           # the system token lives encrypted in the database
    runtime = Runtime(env)
    try:
        state.remember_machine_identifier(runtime, plex.machine_identifier)
        runtime.save_settings({"plex_token": plex.token})
        assert runtime.config().plex_token == plex.token
        app = create_app(runtime, {"TESTING": True})
        first = _albums(plex, 1)[0]
        plex.set_user_ratings("reader", {first: 7.0})

        decrypted: list[str] = []
        original = runtime.vault.decrypt

        def spy(stored: str):
            plain, legacy = original(stored)
            decrypted.append(plain)
            return plain, legacy
        runtime.vault.decrypt = spy      # type: ignore[method-assign]
        plex.clear_requests_log()

        reader, _, _ = sign_in(app, plextv, "reader")
        items = reader.get("/api/v1/me/ratings").get_json()["items"]
        assert [(i["rating_key"], i["user_rating"]) for i in items] == [(first, 7.0)]
        reader.get("/api/v1/me")
        reader.get("/api/v1/library")

        reader_account = plextv.users.get("reader")
        assert reader_account.server_token in decrypted      # the spy saw the user's own token
        assert plex.token not in decrypted
        sent = {headers.get("X-Plex-Token") or query.get("X-Plex-Token") for _, _, query, headers in plex.requests_log}
        assert sent == {reader_account.server_token}
        with runtime.session() as s:
            assert s.scalars(select(User)).one().username == "reader"
    finally:
        runtime.dispose()
