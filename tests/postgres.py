"""A throw-away PostgreSQL server on loopback for the tests that need one.

Uses the server at PLEXBOOKS_TEST_DATABASE_SERVER_URL when set (a SQLAlchemy URL of a
database the tests may create databases from); otherwise runs initdb and pg_ctl from the
installed server package (`make test` installs it) in a temporary directory, as the
`postgres` user when the tests run as root (PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from typing import Iterator


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="plexbooks-pg-")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(prefix + list(cmd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       cwd=self.dir)

    def start(self) -> str:
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL server binaries not found: run 'make test' (it installs them) "
                               "or set PLEXBOOKS_TEST_DATABASE_SERVER_URL")
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        data = os.path.join(self.dir, "data")
        self._run(initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c full_page_writes=off -c synchronous_commit=off -c wal_level=minimal -c max_wal_senders=0 -c checkpoint_timeout=1h -c max_wal_size=2GB"
        self._run(pg_ctl, "-D", data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60", "start")
        return self.url

    def stop(self) -> None:
        pg_ctl = _bin("pg_ctl")
        try:
            if pg_ctl:
                self._run(pg_ctl, "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def new_database(server_url: str) -> str:
    """A fresh empty database on the server; returns its SQLAlchemy URL."""
    import psycopg
    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def new_schema(server_url: str) -> str:
    """A fresh empty schema in the server's database; returns a SQLAlchemy URL whose connections
    use it (``search_path``). A schema costs milliseconds where a database costs most of a
    second, and isolates tables, sequences and the Alembic version just as well."""
    import psycopg
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_dsn(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{server_url}?options=-csearch_path%3D{name}"


def drop_schema(server_url: str, url: str) -> None:
    """Drop a schema made by :func:`new_schema`, with everything in it."""
    import psycopg
    name = url.rsplit("%3D", 1)[1]
    with psycopg.connect(_dsn(server_url), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


_migration: list[tuple[str, object, bool]] | None = None


def migrated_schema(server_url: str, url: str) -> None:
    """Bring the empty schema of *url* to the newest revision by replaying what the real migrations
    sent to the server when they ran once on an empty schema of this process (recorded the first time;
    `tests/test_cli.py` checks that a replayed schema equals a migrated one). Alembic costs ~0.15 s
    of Python per fresh schema; the replay a few milliseconds."""
    global _migration
    from sqlalchemy import event

    from plugin import db
    if _migration is None:
        recorded: list[tuple[str, object, bool]] = []
        scratch = new_schema(server_url)
        engine = db.make_engine(scratch)

        def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # noqa: ANN001
            recorded.append((statement, parameters, executemany))

        event.listen(engine, "before_cursor_execute", record)
        try:
            db.upgrade(engine)
        finally:
            engine.dispose()
            drop_schema(server_url, scratch)
        _migration = recorded
    engine = db.make_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters, many in _migration:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters or None)
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def _dsn(server_url: str) -> str:
    return server_url.replace("postgresql+psycopg://", "postgresql://")


def server() -> Iterator[str]:
    url = os.environ.get("PLEXBOOKS_TEST_DATABASE_SERVER_URL")
    if url:
        yield url
        return
    pg = PostgresServer()
    try:
        yield pg.start()
    finally:
        pg.stop()
