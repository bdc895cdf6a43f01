"""The worker's access re-check, with each Plex user's own plex.tv token."""
from __future__ import annotations

from plugin import accounts, signin
from plugin.models import AudiobookRequest
from tests.conftest import API_KEY
from tests.signin_helpers import sign_in


def test_access_removed_ends_the_users_sessions_and_keeps_their_requests(accounts_app, accounts_runtime, plex,
                                                                          plextv):
    reader, csrf, user = sign_in(accounts_app, plextv, "reader")
    owner, _, _ = sign_in(accounts_app, plextv, "owner")
    assert reader.post("/api/v1/requests", json={"title": "A Book Not In Plex"},
                       headers={"X-CSRF-Token": csrf}).status_code == 201
    plex.set_user_access("reader", False)
    summary = signin.access_recheck(accounts_runtime, trigger="test")
    assert summary["status"] == "ok"
    assert (summary["checked"], summary["ok"], summary["no_access"]) == (2, 1, 1)
    assert reader.get("/api/v1/me").status_code == 401
    assert owner.get("/api/v1/me").status_code == 200
    with accounts_runtime.session() as s:
        assert s.query(AudiobookRequest).filter_by(user=user["id"]).count() == 1
    users = owner.get("/api/v1/users").get_json()["items"]
    assert {u["username"]: u["access_check"] for u in users} == {"owner": "ok", "reader": "no_access"}


def test_a_revoked_plextv_token_ends_the_sessions(accounts_app, accounts_runtime, plextv):
    reader, _, user = sign_in(accounts_app, plextv, "reader")
    plextv.users.revoke_plextv_token("reader")
    summary = signin.access_recheck(accounts_runtime)
    assert summary["token_revoked"] == 1
    assert accounts.session_count(accounts_runtime, user["id"]) == 0
    assert reader.get("/api/v1/me").status_code == 401


def test_plextv_unreachable_keeps_sessions_and_the_status_says_so(accounts_app, accounts_runtime, plextv):
    reader, _, _ = sign_in(accounts_app, plextv, "reader")
    plextv.stop()
    summary = signin.access_recheck(accounts_runtime)
    assert summary["status"] == "failed" and summary["error_class"] == "plextv_unreachable"
    assert summary["sessions_kept"] is True
    assert reader.get("/api/v1/me").status_code == 200
    status = accounts_app.test_client().get("/api/v1/status", headers={"X-Api-Key": API_KEY}).get_json()
    assert status["plextv"]["reachable"] is False and "sessions are kept" in status["plextv"]["hint"]
    assert status["plextv"]["last_access_recheck"]["error_class"] == "plextv_unreachable"
    plextv.start()
    assert signin.access_recheck(accounts_runtime)["status"] == "ok"
    status = accounts_app.test_client().get("/api/v1/status", headers={"X-Api-Key": API_KEY}).get_json()
    assert status["plextv"]["reachable"] is True and "hint" not in status["plextv"]


def test_plextv_answering_500_or_garbage_keeps_sessions(accounts_app, accounts_runtime, plextv):
    reader, _, _ = sign_in(accounts_app, plextv, "reader")
    for mode in ("error500", "garbage"):
        plextv.set_failure(mode, path="/api/v2/resources")
        assert signin.access_recheck(accounts_runtime)["status"] == "failed"
        plextv.clear_failures()
        assert reader.get("/api/v1/me").status_code == 200


def test_access_recheck_is_a_worker_job_with_run_now(accounts_app, accounts_runtime):
    from plugin.worker import JOBS
    assert signin.ACCESS_RECHECK in JOBS
    client = accounts_app.test_client()
    jobs = client.get("/api/v1/jobs", headers={"X-Api-Key": API_KEY}).get_json()["items"]
    recheck = next(j for j in jobs if j["name"] == "access_recheck")
    assert recheck["every_s"] == 6 * 3600 and recheck["interval_setting"] == "access_recheck_hours"
    queued = client.post("/api/v1/jobs/access_recheck/run", headers={"X-Api-Key": API_KEY})
    assert queued.status_code == 202


def test_the_worker_schedules_the_recheck(accounts_runtime):
    from plugin.worker import Worker
    worker = Worker(accounts_runtime)
    worker._schedule()
    assert "access_recheck" in worker.next_runs()
    worker.executor.shutdown(wait=False)
