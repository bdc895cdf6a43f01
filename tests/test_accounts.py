"""Roles, the user's own requests, local admins, login throttling, users CRUD, key rotation."""
from __future__ import annotations


from cryptography.fernet import Fernet
from sqlalchemy import select

from plugin import accounts, state
from plugin.models import LoginFailure, User
from tests import leaks
from tests.conftest import API_KEY, environment
from tests.processes import run_plexbooks
from tests.signin_helpers import sign_in, sign_in_local

PASSWORD = "correct horse battery staple"


# -- a user's requests ------------------------------------------------------------------------------
def test_a_user_creates_lists_and_cancels_only_their_own_requests(accounts_app, plextv):
    reader, reader_csrf, reader_user = sign_in(accounts_app, plextv, "reader")
    plextv.add_user("other")
    other, other_csrf, other_user = sign_in(accounts_app, plextv, "other")
    mine = reader.post("/api/v1/requests", json={"title": "A Book Nobody Has Written"},
                       headers={"X-CSRF-Token": reader_csrf})
    assert mine.status_code == 201 and mine.get_json()["user"] == reader_user["id"]
    theirs = other.post("/api/v1/requests", json={"title": "Another Unwritten Book"},
                        headers={"X-CSRF-Token": other_csrf}).get_json()
    listed = reader.get("/api/v1/requests").get_json()
    assert [r["id"] for r in listed["items"]] == [mine.get_json()["id"]] and listed["total"] == 1
    assert reader.get(f"/api/v1/requests?user={other_user['id']}").status_code == 403
    assert reader.get(f"/api/v1/requests/{theirs['id']}").status_code == 404
    # cancel: only their own, and only to cancelled
    cancel = {"status": "cancelled"}
    assert reader.patch(f"/api/v1/requests/{theirs['id']}", json=cancel,
                        headers={"X-CSRF-Token": reader_csrf}).status_code == 404
    other_fields = reader.patch(f"/api/v1/requests/{mine.get_json()['id']}", json={"status": "available"},
                                headers={"X-CSRF-Token": reader_csrf})
    assert other_fields.status_code == 403 and other_fields.get_json()["error"]["code"] == "forbidden"
    done = reader.patch(f"/api/v1/requests/{mine.get_json()['id']}", json=cancel,
                        headers={"X-CSRF-Token": reader_csrf})
    assert done.status_code == 200 and done.get_json()["status"] == "cancelled"
    assert reader.delete(f"/api/v1/requests/{mine.get_json()['id']}",
                         headers={"X-CSRF-Token": reader_csrf}).status_code == 403


def test_a_user_cannot_ask_for_someone_else_or_skip_the_pipeline(accounts_app, plextv):
    reader, csrf, _ = sign_in(accounts_app, plextv, "reader")
    for body in ({"title": "X", "user": "somebody"}, {"title": "X", "status": "available"}):
        answer = reader.post("/api/v1/requests", json=body, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    assert reader.get("/api/v1/requests").get_json()["total"] == 0


def test_the_api_key_stays_the_admin_credential(accounts_app):
    client = accounts_app.test_client()
    made = client.post("/api/v1/requests", json={"title": "Some Book", "user": "pipeline-user"},
                       headers={"X-Api-Key": API_KEY})
    assert made.status_code == 201 and made.get_json()["user"] == "pipeline-user"
    assert client.get("/api/v1/users", headers={"X-Api-Key": API_KEY}).status_code == 200
    assert client.get("/api/v1/me", headers={"X-Api-Key": API_KEY}).get_json()["kind"] == "api_key"


# -- users CRUD ------------------------------------------------------------------------------------
def test_admin_changes_roles_and_disables_users(accounts_app, accounts_runtime, plextv):
    admin, admin_csrf, admin_user = sign_in(accounts_app, plextv, "owner")
    reader, reader_csrf, reader_user = sign_in(accounts_app, plextv, "reader")
    users = admin.get("/api/v1/users").get_json()
    assert {u["username"]: u["role"] for u in users["items"]} == {"owner": "admin", "reader": "user"}
    assert all("token" not in key for u in users["items"] for key in u)
    promoted = admin.patch(f"/api/v1/users/{reader_user['id']}", json={"role": "admin"},
                           headers={"X-CSRF-Token": admin_csrf})
    assert promoted.status_code == 200 and promoted.get_json()["role"] == "admin"
    assert reader.get("/api/v1/users").status_code == 200        # the live session has the new role
    # the role an admin set survives the next sign-in
    again, _, user = sign_in(accounts_app, plextv, "reader")
    assert user["role"] == "admin"
    disabled = admin.patch(f"/api/v1/users/{reader_user['id']}", json={"disabled": True},
                           headers={"X-CSRF-Token": admin_csrf})
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert reader.get("/api/v1/me").status_code == 401 and again.get("/api/v1/me").status_code == 401
    assert accounts.session_count(accounts_runtime, reader_user["id"]) == 0
    from tests.signin_helpers import approve, start_pin
    client = accounts_app.test_client()
    pin = start_pin(client)
    approve(plextv, pin["id"], "reader")
    refused = client.post(f"/api/v1/auth/plex/pins/{pin['id']}/claim")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    # bad input: precise errors, nothing changed
    bad = admin.patch(f"/api/v1/users/{reader_user['id']}", json={"role": "root", "disabled": "yes", "x": 1},
                      headers={"X-CSRF-Token": admin_csrf})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"role", "disabled", "x"}
    me = admin.patch(f"/api/v1/users/{admin_user['id']}", json={"role": "user"},
                     headers={"X-CSRF-Token": admin_csrf})
    assert me.status_code == 409
    assert admin.get("/api/v1/users/nobody").status_code == 404
    deleted = admin.delete(f"/api/v1/users/{reader_user['id']}", headers={"X-CSRF-Token": admin_csrf})
    assert deleted.status_code == 200
    assert admin.get(f"/api/v1/users/{reader_user['id']}").status_code == 404


def test_admin_creates_a_local_admin_through_the_api(accounts_app):
    client = accounts_app.test_client()
    leaks.track(PASSWORD)
    made = client.post("/api/v1/users", json={"username": "root", "password": PASSWORD},
                       headers={"X-Api-Key": API_KEY})
    assert made.status_code == 201 and made.get_json()["id"].startswith("local-")
    again = client.post("/api/v1/users", json={"username": "root", "password": PASSWORD},
                        headers={"X-Api-Key": API_KEY})
    assert again.status_code == 409
    short = client.post("/api/v1/users", json={"username": "x", "password": "short"},
                        headers={"X-Api-Key": API_KEY})
    assert short.status_code == 422 and "password" in short.get_json()["error"]["fields"]
    sign_in_local(accounts_app, "root", PASSWORD)


# -- local admins ------------------------------------------------------------------------------------
def test_local_admin_signs_in_with_a_password(accounts_app, accounts_runtime):
    user, created = accounts.upsert_local_admin(accounts_runtime, "admin", PASSWORD)
    assert created and user.id.startswith("local-")
    with accounts_runtime.session() as s:
        stored = s.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    client, csrf, me = sign_in_local(accounts_app, "admin", PASSWORD)
    assert me == {"id": user.id, "username": "admin", "kind": "local", "role": "admin"}
    assert client.get("/api/v1/me").get_json()["kind"] == "local"
    wrong = accounts_app.test_client().post("/api/v1/auth/login", json={"username": "admin", "password": "nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid_credentials"
    unknown = accounts_app.test_client().post("/api/v1/auth/login", json={"username": "ghost", "password": "x"})
    assert unknown.status_code == 401 and unknown.get_json()["error"]["code"] == "invalid_credentials"
    bad = accounts_app.test_client().post("/api/v1/auth/login", json={"username": 3})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"username", "password"}


def test_repeated_failures_are_throttled_per_account_and_per_address(accounts_app, accounts_runtime):
    accounts.upsert_local_admin(accounts_runtime, "admin", PASSWORD)
    client = accounts_app.test_client()
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        assert client.post("/api/v1/auth/login", json={"username": "admin", "password": "guess"}).status_code == 401
    blocked = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert blocked.status_code == 429 and blocked.get_json()["error"]["code"] == "too_many_attempts"
    # per address: many accounts guessed from one address
    with accounts_runtime.session() as s:
        s.query(LoginFailure).delete()
    for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
        client.post("/api/v1/auth/login", json={"username": f"user{n}", "password": "guess"})
    blocked = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert blocked.status_code == 429
    other_address = accounts_app.test_client().post(
        "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other_address.status_code == 200


def test_admin_from_the_environment_is_created_and_updated_at_start(make_runtime, plex):
    from plugin.web import create_app
    leaks.track(PASSWORD, PASSWORD + "2")
    runtime = make_runtime(plex, PLEXBOOKS_ADMIN_USERNAME="boss", PLEXBOOKS_ADMIN_PASSWORD=PASSWORD)
    app = create_app(runtime, {"TESTING": True})
    sign_in_local(app, "boss", PASSWORD)
    runtime2 = make_runtime(plex, PLEXBOOKS_ADMIN_USERNAME="boss", PLEXBOOKS_ADMIN_PASSWORD=PASSWORD + "2")
    app2 = create_app(runtime2, {"TESTING": True})
    sign_in_local(app2, "boss", PASSWORD + "2")
    with runtime2.session() as s:
        assert len(s.scalars(select(User).where(User.username == "boss")).all()) == 1


def test_cli_admin_create_reads_the_password_from_stdin(tmp_path):
    leaks.track(PASSWORD)
    env = environment(tmp_path / "data")
    done = run_plexbooks(["admin", "create", "--username", "ops", "--json"], env, input=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert '"created": true' in done.stdout and PASSWORD not in done.stdout + done.stderr
    from plugin.runtime import Runtime
    runtime = Runtime(env)
    try:
        with runtime.session() as s:
            stored = s.scalars(select(User.password_hash).where(User.username == "ops")).one()
        # a plexbooks process hashes at argon2-cffi's default cost (RFC 9106's low-memory profile);
        # only this suite's in-process tests hash cheaper (tests/conftest.py, quick_password_hashing)
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored[:40]
        assert accounts.check_password_login(runtime, "ops", PASSWORD, "127.0.0.1").username == "ops"
    finally:
        runtime.dispose()
    empty = run_plexbooks(["admin", "create", "--username", "ops"], env, input="")
    assert empty.returncode == 2


# -- secrets at rest ------------------------------------------------------------------------------------
def test_key_rotation_reencrypts_every_stored_secret(tmp_path, plex, plextv):
    from plugin.rotation import rotate_secrets
    from plugin.runtime import Runtime
    from plugin.web import create_app
    from tests.conftest import plextv_env
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    leaks.track(old, new)
    env = environment(tmp_path / "data", plex, PLEXBOOKS_SECRET_KEY=old, **plextv_env(plextv))
    env.pop("PLEXBOOKS_PLEX_TOKEN")
    runtime = Runtime(env)
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    runtime.save_settings({"plex_token": plex.token})
    sign_in(create_app(runtime, {"TESTING": True}), plextv, "reader")
    runtime.dispose()

    rotated = Runtime(dict(env, PLEXBOOKS_SECRET_KEY=f"{new},{old}"))
    assert rotated.config().plex_token == plex.token          # old values read with the old key
    counts = rotate_secrets(rotated)
    assert counts == {"settings": 1, "user_tokens": 2}
    rotated.dispose()
    only_new = Runtime(dict(env, PLEXBOOKS_SECRET_KEY=new))
    try:
        assert only_new.config().plex_token == plex.token
        with only_new.session() as s:
            user = s.scalars(select(User).where(User.username == "reader")).one()
            assert only_new.vault.decrypt(user.server_token)[0] == plextv.users.get("reader").server_token
    finally:
        only_new.dispose()


def test_plain_user_tokens_from_before_encryption_still_work_and_get_encrypted(accounts_app, accounts_runtime,
                                                                               plextv):
    from plugin import signin
    _, _, user = sign_in(accounts_app, plextv, "reader")
    reader = plextv.users.get("reader")
    with accounts_runtime.session() as s:
        row = s.get(User, user["id"])
        row.plextv_token = reader.plextv_token          # as an older version stored it
    assert signin.recheck_access(accounts_runtime)["ok"] == 1
    with accounts_runtime.session() as s:
        assert s.get(User, user["id"]).plextv_token.startswith("enc:v1:")


def test_cli_secrets_rotate(tmp_path):
    key = Fernet.generate_key().decode()
    leaks.track(key)
    env = environment(tmp_path / "data", PLEXBOOKS_SECRET_KEY=key)
    done = run_plexbooks(["secrets", "rotate", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert '"settings": 0' in done.stdout and key not in done.stdout + done.stderr
