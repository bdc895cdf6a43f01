"""The `plexbooks` command as a user runs it: exit codes, --json on stdout only, schema first."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import environment
from tests.processes import run_plexbooks


def run(env: dict[str, str], *args: str, stdin: str | None = None, fork: bool = True) -> subprocess.CompletedProcess:
    return run_plexbooks(list(args), env, input=stdin, fork=fork)


def test_scan_json_and_exit_codes(tmp_path, plex):
    env = environment(tmp_path / "data", plex)
    result = run(env, "scan", "--json", fork=False)      # `python -m plugin`, as a user starts it
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    for key in ("status", "total", "new", "updated", "unchanged", "removed", "skipped", "duration_s", "error"):
        assert key in summary
    assert summary["status"] == "ok" and summary["new"] == len(plex.catalogue)
    recent = json.loads(run(env, "scan", "--recent", "--json").stdout)
    assert recent["status"] == "ok" and recent["new"] == 0

    plex.stop()
    failed = run(env, "scan", "--json")
    assert failed.returncode == 1
    body = json.loads(failed.stdout)
    assert body["status"] == "failed" and body["error_class"] == "plex_unreachable"


def test_wrong_token_fails_with_1_and_never_prints_it(tmp_path, plex):
    env = environment(tmp_path / "data", plex, PLEXBOOKS_PLEX_TOKEN="very-secret-wrong-token")
    result = run(env, "scan", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error_class"] == "plex_unauthorized"
    assert "very-secret-wrong-token" not in result.stdout + result.stderr


def test_missing_configuration_is_exit_2(tmp_path):
    result = run(environment(tmp_path / "data"), "scan", "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["error_class"] == "not_configured"
    bad = run({**environment(tmp_path / "data"), "PLEXBOOKS_PORT": "70000"}, "config")
    assert bad.returncode == 2 and "port" in bad.stderr
    assert run(environment(tmp_path / "data"), "scan", "--bogus").returncode == 2


def test_every_command_creates_the_schema_first(tmp_path):
    env = environment(tmp_path / "fresh")
    result = run(env, "db", "upgrade", "--json")
    assert result.returncode == 0
    revision = json.loads(result.stdout)
    assert revision["revision"] == revision["head"]
    if "DATABASE_URL" in env:
        from sqlalchemy import create_engine, inspect
        engine = create_engine(env["DATABASE_URL"])
        try:
            assert {"alembic_version", "library_items"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    else:
        assert (tmp_path / "fresh" / "plexbooks.db").exists()
    status = run(environment(tmp_path / "other"), "status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["counts"]["library_items"] == 0


def test_a_database_at_the_newest_revision_starts_without_alembic(tmp_path):
    """The head read from the scripts is Alembic's own; a start on a current database answers from one
    query (Alembic is not even imported), a database one revision behind is still upgraded."""
    from alembic.script import ScriptDirectory

    from plugin import db
    assert db.head_revision() == ScriptDirectory.from_config(db._alembic_config()).get_current_head()
    env = environment(tmp_path / "data")
    assert run(env, "db", "upgrade", "--json").returncode == 0
    probe = ("import sys; from plugin.runtime import Runtime; Runtime(); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    started = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **env}, capture_output=True,
                             text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "[]"
    engine = db.make_engine(env.get("DATABASE_URL") or db.sqlite_url(tmp_path / "data"))
    try:
        from alembic import command
        cfg = db._alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "-1")
        behind = db.current_revision(engine)
        assert behind is not None and behind != db.head_revision()
        assert db.upgrade(engine) == db.head_revision() == db.current_revision(engine)
    finally:
        engine.dispose()


def _text(part: object) -> str:
    """A reflected column, index or constraint as text (SQL fragments such as a partial index's WHERE as
    their SQL)."""
    return json.dumps(part, sort_keys=True, default=lambda o: str(getattr(o, "text", o)))


def _schema(url: str) -> dict:
    """Everything the schema is made of, as SQLAlchemy reads it back."""
    from sqlalchemy import create_engine, inspect, text
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            out = {name: (sorted(_text(c) for c in found.get_columns(name)),
                          sorted(_text(i) for i in found.get_indexes(name)),
                          sorted(_text(u) for u in found.get_unique_constraints(name)),
                          sorted(_text(f) for f in found.get_foreign_keys(name)),
                          _text(found.get_pk_constraint(name)))
                   for name in found.get_table_names()}
            out["revision"] = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return out
    finally:
        engine.dispose()


def test_the_tests_premigrated_databases_equal_a_real_migration(tmp_path, make_runtime, sqlite_template):
    """In-process runtimes start on a copied (SQLite) or replayed (PostgreSQL) migration: the same
    schema as the migrations make of an empty database in a process of its own."""
    env = environment(tmp_path / "real")
    assert run(env, "db", "upgrade", "--json").returncode == 0
    runtime = make_runtime()
    from plugin import db
    real = env.get("DATABASE_URL") or db.sqlite_url(tmp_path / "real")
    assert _schema(str(runtime.engine.url.render_as_string(hide_password=False))) == _schema(real)
    assert len(_schema(real)) > 10


def test_connect_stores_url_token_library_and_machine_identifier(tmp_path, plex):
    env = environment(tmp_path / "data")
    result = run({**env, "PLEXBOOKS_PLEX_TOKEN": plex.token}, "connect", "--url", plex.url, "--token-env",
                 "--library", "3", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["server"]["machine_identifier"] == plex.machine_identifier and body["library"] == ["3"]
    assert any(s["is_music"] for s in body["libraries"]) and plex.token not in result.stdout
    config = json.loads(run(env, "config", "--json").stdout)
    assert config["plex_url"]["value"] == plex.url and config["plex_url"]["source"] == "database"
    assert config["plex_token"]["value"] == "********"
    assert json.loads(run(env, "scan", "--json").stdout)["status"] == "ok"   # token read back from the database

    wrong = run(env, "connect", "--url", plex.url, "--token", "nope", "--json")
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["error_class"] == "plex_unauthorized"
    not_music = run(env, "connect", "--url", plex.url, "--token", plex.token, "--library", "1")
    assert not_music.returncode == 2


def test_match_pairs(tmp_path):
    lines = [
        {"request": {"title": "The Tenant", "author": "Freida McFadden"},
         "item": {"title": "The Tenant (Unabridged)", "author": "Freida McFadden"}},
        {"request": {"title": "Foundation", "author": "Isaac Asimov"},
         "item": {"title": "Foundation and Empire", "author": "Isaac Asimov"}},
        {"request": {"title": "Dune", "asin": "B002V1OF70"},
         "item": {"title": "Dune", "file_path": "/books/Dune [B002V1OF70]/Dune.m4b"}},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = run(environment(tmp_path / "data"), "match-pairs", str(path))
    assert result.returncode == 0, result.stderr
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["match"] for d in decisions] == [True, False, True]
    assert decisions[2]["reason"] == "asin_path" and decisions[0]["reason"] == "fuzzy"
    broken = run(environment(tmp_path / "data"), "match-pairs", "-", stdin='{"request": {}}\nnot json\n')
    assert broken.returncode == 1 and all("error" in json.loads(line) for line in broken.stdout.splitlines())
    assert run(environment(tmp_path / "data"), "match-pairs", str(tmp_path / "missing.jsonl")).returncode == 2


@pytest.mark.pure
def test_simulate_serves_until_stopped(tmp_path):
    from tests.processes import Proc, free_port, wait_http
    port = free_port()
    proc = Proc(["simulate", "--port", str(port), "--books", "5", "--token", "cli-token"], {}, tmp_path / "sim.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/identity")
        import requests
        listing = requests.get(f"http://127.0.0.1:{port}/library/sections/3/all?type=9",
                               headers={"X-Plex-Token": "cli-token"}, timeout=5)
        assert listing.status_code == 200 and listing.text.count('type="album"') == 5
        assert requests.get(f"http://127.0.0.1:{port}/library/sections", timeout=5).status_code == 401
    finally:
        proc.stop()
    assert "cli-token" in proc.log()
