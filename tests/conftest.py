"""Shared fixtures: a simulated Plex server on loopback, a runtime on a real SQLite file in a
temporary data directory, the Flask app and its client."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

from plugin.runtime import Runtime  # noqa: E402
from plugin.simulator.server import SimulatedPlex  # noqa: E402

API_KEY = "test-api-key-0123456789"
AUDIOBOOKS = "3"


@pytest.fixture
def plex_factory() -> Iterator[Callable[..., SimulatedPlex]]:
    started: list[SimulatedPlex] = []

    def make(books: int = 40, seed: int = 1, **kwargs) -> SimulatedPlex:
        sim = SimulatedPlex(books=books, seed=seed, **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def plex(plex_factory) -> SimulatedPlex:
    return plex_factory()


def environment(data_dir: Path, plex: SimulatedPlex | None = None, **extra: str) -> dict[str, str]:
    env = {"PLEXBOOKS_DATA_DIR": str(data_dir), "PLEXBOOKS_API_KEY": API_KEY,
           "PLEXBOOKS_PLEX_TIMEOUT": "5"}
    if os.environ.get("PLEXBOOKS_TEST_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["PLEXBOOKS_TEST_DATABASE_URL"]
    if plex is not None:
        env.update({"PLEXBOOKS_PLEX_URL": plex.url, "PLEXBOOKS_PLEX_TOKEN": plex.token,
                    "PLEXBOOKS_PLEX_LIBRARY": AUDIOBOOKS})
    env.update(extra)
    return env


@pytest.fixture
def make_runtime(tmp_path) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def make(plex: SimulatedPlex | None = None, **extra: str) -> Runtime:
        runtime = Runtime(environment(tmp_path / "data", plex, **extra))
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.dispose()


@pytest.fixture
def runtime(make_runtime, plex) -> Runtime:
    return make_runtime(plex)


@pytest.fixture
def app(runtime):
    from plugin.web import create_app
    return create_app(runtime, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    """The test client with the admin API key sent on every call."""

    class Api:
        def __getattr__(self, method):
            def call(path, **kwargs):
                headers = kwargs.pop("headers", {})
                headers.setdefault("X-Api-Key", API_KEY)
                return getattr(client, method)(path, headers=headers, **kwargs)
            return call

    return Api()


@pytest.fixture(scope="session")
def postgres_server():
    from tests import postgres
    yield from postgres.server()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    from tests.postgres import new_database
    return new_database(postgres_server)
