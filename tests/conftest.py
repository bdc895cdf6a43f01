"""Shared fixtures: a simulated Plex server on loopback, a runtime on a real database in a
temporary data directory, the Flask app and its client.

Every test that uses a temporary directory (every test that can reach a database) runs twice,
with the ids ``sqlite`` and ``postgres``: on a SQLite file in its data directory, and on a fresh
PostgreSQL schema per data directory on the session's throw-away server (tests/postgres.py;
tests that need a database of their own, e.g. to restart it, use ``postgres_url``).
Tests marked ``pure`` touch no database and run once. ``PLEXBOOKS_TEST_DATABASES=sqlite`` (or
``postgres``) narrows a run to one of them."""
from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

# Property tests: few examples, no deadline (a loaded CI machine is slow, not wrong), and the
# same examples on every run (derandomized), so a failure in CI fails again on a laptop.
# HYPOTHESIS_PROFILE=explore searches more widely and randomly.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("explore", max_examples=2000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from plugin import state  # noqa: E402
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


DATABASES = ("sqlite", "postgres")


def chosen_databases() -> tuple[str, ...]:
    raw = os.environ.get("PLEXBOOKS_TEST_DATABASES", "")
    wanted = tuple(name.strip() for name in raw.split(",") if name.strip()) or DATABASES
    unknown = [name for name in wanted if name not in DATABASES]
    if unknown:
        raise pytest.UsageError(f"PLEXBOOKS_TEST_DATABASES: unknown {unknown}; use {', '.join(DATABASES)}")
    return wanted


class Database:
    """The database of the running test: SQLite files in each data directory, or one fresh
    PostgreSQL schema for each data directory the test uses (dropped afterwards)."""

    def __init__(self, kind: str, server_url: str | None = None):
        self.kind = kind
        self.server_url = server_url
        self._urls: dict[Path, str] = {}

    def url_for(self, data_dir: Path) -> str | None:
        if self.kind == "sqlite":
            return None
        from tests.postgres import new_schema
        key = Path(data_dir).resolve()
        if key not in self._urls:
            self._urls[key] = new_schema(self.server_url)
        return self._urls[key]

    def migrated(self, data_dir: Path, sqlite_template: Path) -> None:
        """Give *data_dir* a database at the newest revision, unless it has one: a copy of the migrated
        SQLite template, or the recorded migration replayed into its fresh PostgreSQL schema."""
        if self.kind == "sqlite":
            if not (data_dir / "plexbooks.db").exists():
                import shutil
                data_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(sqlite_template, data_dir / "plexbooks.db")
            return
        key = Path(data_dir).resolve()
        if key not in self._urls:
            from tests.postgres import migrated_schema
            migrated_schema(self.server_url, self.url_for(data_dir))

    def drop_all(self) -> None:
        from tests.postgres import drop_schema
        for url in self._urls.values():
            drop_schema(self.server_url, url)
        self._urls.clear()


_current: Database | None = None


def current_database() -> Database:
    return _current or Database("sqlite")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pure: touches no database; runs once instead of once per database")
    config.addinivalue_line("markers", "databases(*names): runs on these databases only")


# The longest work starts first, so that two pytest workers finish together instead of one waiting
# on a long file started last (see tests/scheduling.py for the units of work and their weights).
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests.scheduling import weights
    weight = weights([item.nodeid for item in items])
    items.sort(key=lambda item: -weight[item.nodeid])


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile` hands out the units of tests/scheduling.py in the order above."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.scheduling import LongestFirst
    return LongestFirst(config, log)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("pure"):
        return
    # A data directory (hence a database) needs a temporary directory; a test may also ask for
    # `database` by name.
    asks = "database" in inspect.signature(metafunc.function).parameters
    only = metafunc.definition.get_closest_marker("databases")
    if only is not None:       # a fault of one database only (SQLite's disk, PostgreSQL's restart)
        wanted = [name for name in chosen_databases() if name in only.args]
        metafunc.parametrize("database", wanted or [pytest.param(only.args[0], marks=pytest.mark.skip(
            reason=f"needs {only.args[0]}, not chosen by PLEXBOOKS_TEST_DATABASES"))], indirect=True)
    elif asks or "tmp_path" in metafunc.fixturenames:
        metafunc.parametrize("database", chosen_databases(), indirect=True)


@pytest.fixture(autouse=True)
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Which database this test's data directories use (see the module docstring)."""
    global _current
    kind = getattr(request, "param", "sqlite")
    server = request.getfixturevalue("postgres_server") if kind == "postgres" else None
    _current = Database(kind, server)
    try:
        yield _current
    finally:
        current, _current = _current, None
        current.drop_all()


def environment(data_dir: Path, plex: SimulatedPlex | None = None, **extra: str) -> dict[str, str]:
    """The environment of a plexbooks process (or Runtime) with its data in ``data_dir``, on the
    test's database: a data directory always gets the same database, another one a new one."""
    env = {"PLEXBOOKS_DATA_DIR": str(data_dir), "PLEXBOOKS_API_KEY": API_KEY,
           "PLEXBOOKS_PLEX_TIMEOUT": "5"}
    url = current_database().url_for(data_dir)
    if url:
        env["DATABASE_URL"] = url
    if plex is not None:
        env.update({"PLEXBOOKS_PLEX_URL": plex.url, "PLEXBOOKS_PLEX_TOKEN": plex.token,
                    "PLEXBOOKS_PLEX_LIBRARY": AUDIOBOOKS})
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database brought to the newest revision by the real migrations, once per pytest
    process. In-process runtimes start from a copy of it (on PostgreSQL: the migration's statements,
    recorded once, replayed): what the migrations make of an empty database, without running them again
    for every test. Processes started by tests (and tests of the migrations themselves) still migrate
    their own empty databases."""
    from plugin import db
    path = tmp_path_factory.mktemp("sqlite-template") / "plexbooks.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def make_runtime(tmp_path, sqlite_template) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def make(plex: SimulatedPlex | None = None, **extra: str) -> Runtime:
        data_dir = Path(extra.get("PLEXBOOKS_DATA_DIR", tmp_path / "data"))
        database = current_database()
        if "DATABASE_URL" not in extra:
            database.migrated(data_dir, sqlite_template)
        runtime = Runtime(environment(data_dir, plex, **extra))
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
    state.remember_machine_identifier(runtime, plex.machine_identifier)
    return runtime


@pytest.fixture
def accounts_app(accounts_runtime):
    from plugin.web import create_app
    return create_app(accounts_runtime, {"TESTING": True})


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """In-process tests hash passwords with argon2id at a low cost: at the product's (0.3 s of CPU
    per hash here) the sign-in and throttling tests spent half a minute hashing. The algorithm,
    the stored format and every code path are the same; processes the tests start keep the
    product's cost, which tests/test_accounts.py checks on a hash a `plexbooks admin` stored."""
    from argon2 import PasswordHasher
    from plugin import accounts
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


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
