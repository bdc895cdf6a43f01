"""One active worker: a leader lock that a second worker waits on instead of running jobs twice.

SQLite: an exclusive ``flock`` on ``<data_dir>/worker.lock`` (the database lives in the data
directory, so everyone sharing it shares the lock file). PostgreSQL: a session-level
advisory lock held on a dedicated connection, which also covers workers on other machines.
Either is released by the operating system or the server when the process dies.
"""
from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from typing import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
ADVISORY_KEY = 0x706C6578626F6F6B  # "plexbook"


class LeaderLock:
    def __init__(self, engine: Engine, data_dir: Path):
        self.engine = engine
        self.data_dir = Path(data_dir)
        self._fd: int | None = None
        self._conn: Connection | None = None

    @property
    def kind(self) -> str:
        return "advisory" if self.engine.dialect.name == "postgresql" else "file"

    def try_acquire(self) -> bool:
        if self.kind == "advisory":
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            conn.commit()
            if got:
                self._conn = conn
                return True
            conn.close()
            return False
        fd = os.open(self.data_dir / "worker.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def acquire(self, should_stop: Callable[[], bool] = lambda: False, poll_s: float = 2.0) -> bool:
        """Wait for the lock; return False if asked to stop first."""
        announced = False
        while not should_stop():
            try:
                got = self.try_acquire()
            except Exception as exc:  # noqa: BLE001 - the database is down: wait for it like for a rival
                if not announced:
                    log.warning("worker: cannot reach the database for the leader lock (%s); waiting",
                                type(exc).__name__)
                    announced = True
                got = False
            if got:
                if announced:
                    log.info("worker: got the leader lock, taking over")
                return True
            if not announced:
                log.info("worker: another worker holds the leader lock (%s); waiting", self.kind)
                announced = True
            time.sleep(poll_s)
        return False

    def still_held(self) -> bool:
        if self.kind == "advisory":
            if self._conn is None:
                return False
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except Exception:  # noqa: BLE001 - a lost connection means a lost lock
                return False
        return self._fd is not None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
            except Exception:  # noqa: BLE001 - a lost connection has released the lock already
                pass
            finally:
                try:
                    self._conn.close()
                except Exception:  # noqa: BLE001
                    pass
                self._conn = None
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
