"""Engine, sessions and schema migrations.

Every command calls :func:`upgrade` before anything else, so a fresh or older data
directory is always brought to the current schema first. A database already at the newest
revision (every start but the first after an update) is recognised with one query, without
loading Alembic and its scripts: that had been a third of each process's start.
"""
from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'plexbooks.db').resolve()}"


STATEMENT_CACHE = 16
# The page size a new SQLite database gets: a first full scan of 100,000 albums writes ~10%
# faster with 8 KB pages than with SQLite's 4 KB (fewer page splits and writes; bench/README).
PAGE_BYTES = 8192


def placeholder(dialect: Any) -> str:
    """The driver's parameter mark, for the hot paths that write through ``exec_driver_sql``."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def make_engine(url: str, *, busy_timeout_s: float = 30.0) -> Engine:
    if url.startswith("sqlite"):
        busy_ms = int(busy_timeout_s * 1000)
        # A small statement cache: sqlite3 keeps each distinct statement prepared per connection, and
        # every length of an ``IN (…)`` list is a statement of its own; 128 of those (the default)
        # can hold ~9 MB per pooled connection, which a web worker filled slowly over hours.
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False,
                                                  "cached_statements": STATEMENT_CACHE})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001 - DBAPI objects
            cur = dbapi_conn.cursor()
            # Before anything else: it takes effect only while the database is still empty
            # (a new install), and a mirror row with its summary fills half a default page.
            cur.execute(f"PRAGMA page_size={PAGE_BYTES}")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> str | None:
    """Create or upgrade the schema to the newest revision; return the revision."""
    head = head_revision()
    if head is not None and current_revision(engine) == head:
        return head
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The revision stored in the database (Alembic's ``alembic_version``), or None before the first."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest revision of the migration scripts, read from their ``revision``/``down_revision``
    lines (the one no other script revises); None when that is not one revision, which leaves the
    decision to Alembic."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        fields = {m.group(1): m.group(2) for m in _REVISION.finditer(script.read_text(encoding="utf-8"))}
        if "revision" in fields:
            revisions.add(fields["revision"])
            revised.add(fields.get("down_revision", ""))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


@contextmanager
def bulk_write(engine: Engine) -> Iterator[tuple[Connection, list[threading.Thread]]]:
    """One transaction that writes a large part of the database (a full scan), as
    ``engine.begin()`` does, and the threads it left to finish its work.

    On SQLite its commit does not also copy the write-ahead log into the database file
    (the automatic checkpoint: half a second after a first scan of 100,000 albums, during
    which nothing else could run in this process). The rows are visible to every reader
    from the commit on; a thread then checkpoints on its own connection while the caller
    goes on, and the caller joins it (``finish_bulk_write``) before it ends."""
    threads: list[threading.Thread] = []
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        before = None
        if sqlite:
            before = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            conn.commit()
        try:
            with conn.begin():
                yield conn, threads
        finally:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(before or 1000)}")
                conn.commit()
    if sqlite:
        thread = threading.Thread(target=_checkpoint, args=(engine,), name="wal-checkpoint", daemon=True)
        thread.start()
        threads.append(thread)


def _checkpoint(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            conn.commit()
    except DBAPIError as exc:   # the next commit's automatic checkpoint does it then
        logging.getLogger(__name__).warning("could not checkpoint the database: %s", type(exc).__name__)


def finish_bulk_write(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_failure(exc: BaseException) -> tuple[str, str] | None:
    """(error class, plain explanation) when ``exc`` is the database failing rather than a bug:
    its disk full, locked by another process past the busy timeout, or the server gone.
    None for anything else."""
    if not isinstance(exc, DBAPIError):
        return None
    text = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in text or "no space left" in text or "could not extend file" in text:
        return "database_full", "the database's disk is full: free some space; nothing was half-written"
    if "database is locked" in text or "lock timeout" in text or "deadlock" in text:
        return "database_locked", "the database stayed locked by another process past the busy timeout"
    if exc.connection_invalidated or "connection" in text or "server closed" in text or "terminating" in text:
        return "database_unavailable", "the database server could not be reached or went away"
    if "readonly" in text or "read-only" in text:
        return "database_read_only", "the database is read-only"
    return None
