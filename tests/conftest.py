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
    """The app; every response it gives is checked against its OpenAPI document."""
    from plugin.web import create_app
    from tests.openapi_check import watch
    app = create_app(runtime, {"TESTING": True})
    checker = watch(app)
    yield app
    if checker.problems:
        pytest.fail("responses that do not match the OpenAPI document:\n" + "\n".join(checker.problems[:20]))


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


# ----------------------------------------------------------------------------- accounts
@pytest.fixture
def plextv(plex):
    """The simulated plex.tv of ``plex``: the owner, a shared user ``reader`` and ``stranger``
    (a Plex account the server is not shared with)."""
    from plugin.simulator.plextv import SimulatedPlexTV
    tv = SimulatedPlexTV(plex)
    tv.add_user("reader")
    tv.add_user("stranger", has_access=False)
    tv.start()
    yield tv
    tv.stop()


def plextv_env(tv) -> dict[str, str]:
    return {"PLEXBOOKS_PLEXTV_URL": tv.url, "PLEXBOOKS_PLEX_AUTH_URL": tv.auth_url}


@pytest.fixture
def accounts_runtime(make_runtime, plex, plextv) -> Runtime:
    """A runtime connected to ``plex`` (machineIdentifier stored) and pointed at its plex.tv."""
    runtime = make_runtime(plex, **plextv_env(plextv))
    runtime.remember_machine_identifier(plex.machine_identifier)
    return runtime


@pytest.fixture
def accounts_app(accounts_runtime):
    from plugin.web import create_app
    return create_app(accounts_runtime, {"TESTING": True})


# ----------------------------------------------------------------------------- no leaks
@pytest.fixture(autouse=True)
def no_leaks(monkeypatch):
    """Every token and password the suite creates must never reach a response, a log record or
    an exception message. See tests/leaks.py for what is collected and where it looks."""
    from tests import leaks
    found = leaks.install(monkeypatch)
    yield
    leaks.uninstall()
    if found:
        pytest.fail("secret leaked: " + "; ".join(found[:5]), pytrace=False)
