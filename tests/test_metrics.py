"""``GET /metrics`` against a real ``plexbooks run`` (two gunicorn workers and the worker
process): numbers from every process add up, state comes from the database, the API key
is needed unless ``metrics_public`` is on."""
from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from plugin import state
from plugin.runtime import Runtime
from plugin.state import worker_state
from tests.conftest import API_KEY, environment
from tests.processes import Proc, free_port, wait_for, wait_http


def scrape(base: str, **headers: str) -> dict[str, dict[tuple, float]]:
    response = requests.get(f"{base}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(v for key, v in samples.get(name, {}).items() if set(labels.items()) <= set(key))


@pytest.fixture
def plex(plex_factory):
    return plex_factory(books=12)


def test_metrics_add_up_across_web_workers_and_the_worker(tmp_path, plex):
    port = free_port()
    env = environment(tmp_path / "data", plex, PLEXBOOKS_PORT=str(port), PLEXBOOKS_WEB_WORKERS="2",
                      PLEXBOOKS_WEBHOOK_SECRET="metrics-secret", PLEXBOOKS_WEBSOCKET_ENABLED="false")
    runtime = Runtime(env)
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    (tmp_path / "data" / "metrics").mkdir(parents=True)
    (tmp_path / "data" / "metrics" / "counter_999999.db").write_bytes(b"stale")   # from a previous start
    proc = Proc(["run"], env, tmp_path / "run.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz")
        assert not (tmp_path / "data" / "metrics" / "counter_999999.db").exists()
        wait_for(lambda: (worker_state(runtime) or {}).get("alive"), 30, what="worker")
        api = requests.Session()
        api.headers["X-Api-Key"] = API_KEY
        wait_for(lambda: (api.get(f"{base}/api/v1/status").json()["last_scan"] or {}).get("status") == "ok",
                 30, 0.2, "startup scan")
        created = api.post(f"{base}/api/v1/requests", json={"title": "The Left Hand of Darkness",
                                                              "author": "Ursula K. Le Guin",
                                                              "status": "downloaded"}).json()
        plex.set_webhook_urls([f"{base}/webhooks/plex/metrics-secret"])
        plex.add_album("The Left Hand of Darkness (Unabridged)", "Ursula K. Le Guin", "George Guidall")
        wait_for(lambda: api.get(f"{base}/api/v1/requests/{created['id']}").json()["status"] == "available",
                 20, 0.05, "request available")
        for _ in range(9):      # new connections: gunicorn spreads them over both workers
            assert requests.post(f"{base}/webhooks/plex/wrong", json={}, timeout=5).status_code == 401

        assert requests.get(f"{base}/metrics", timeout=5).status_code == 401
        assert requests.get(f"{base}/metrics", headers={"X-Api-Key": "nope"}, timeout=5).status_code == 401
        by_key = scrape(base, **{"X-Api-Key": API_KEY})
        samples = scrape(base, Authorization=f"Bearer {API_KEY}")
        assert set(by_key) == set(samples)

        assert total(samples, "plexbooks_webhooks_received_total", outcome="unauthorized") == 9
        assert total(samples, "plexbooks_webhooks_received_total", outcome="accepted") >= 1
        assert total(samples, "plexbooks_scan_duration_seconds_count", status="ok") >= 1   # the worker's
        assert total(samples, "plexbooks_albums_total", job="full_scan", outcome="new") == 12
        assert total(samples, "plexbooks_event_to_available_seconds_count", source="webhook") == 1
        assert total(samples, "plexbooks_matcher_decisions_total", reason="fuzzy") == 1
        assert samples["plexbooks_requests"][(("status", "available"),)] == 1
        assert samples["plexbooks_requests"][(("status", "pending"),)] == 0
        assert samples["plexbooks_inbox_failed"][()] == 0
        assert samples["plexbooks_library_items"][()] == 13
        assert samples["plexbooks_websocket_connected"][()] == 0
        assert samples["plexbooks_worker_up"][()] == 1
        assert all(name.startswith("plexbooks_") for name in samples)
        assert API_KEY not in requests.get(f"{base}/metrics", headers={"X-Api-Key": API_KEY}, timeout=5).text
    finally:
        proc.stop()
        runtime.dispose()


def test_plex_errors_are_counted_by_class(make_runtime, plex):
    from plugin import sync
    from plugin.web import create_app
    runtime = make_runtime(plex, PLEXBOOKS_PLEX_TOKEN="wrong-token-for-metrics")
    client = create_app(runtime, {"TESTING": True}).test_client()

    def unauthorized() -> float:
        body = client.get("/metrics", headers={"X-Api-Key": API_KEY}).get_data(as_text=True)
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == "plexbooks_plex_request_errors_total" and \
                        sample.labels == {"error_class": "plex_unauthorized"}:
                    return sample.value
        return 0.0

    before = unauthorized()
    assert sync.full_scan(runtime)["error_class"] == "plex_unauthorized"
    assert unauthorized() == before + 1


@pytest.mark.parametrize("public,status", [("true", 200), ("false", 401)])
def test_metrics_public_setting(make_runtime, plex, public, status):
    from plugin.web import create_app
    runtime = make_runtime(plex, PLEXBOOKS_METRICS_PUBLIC=public)
    client = create_app(runtime, {"TESTING": True}).test_client()
    response = client.get("/metrics")
    assert response.status_code == status
    if status == 401:
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert "plexbooks_requests" in response.get_data(as_text=True)
