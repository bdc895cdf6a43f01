"""The core's context: configuration, database, secrets and the Plex client factory.

The CLI, the web app and the worker each build one Runtime; job bodies take it as
their only argument so a test, a command and the scheduler call them alike. What
plexbooks remembers for itself (machine identifier, API key hash, worker state) is
`plugin.state`, not this.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import select

from plugin import db, settings
from plugin.models import StoredSetting, utcnow
from plugin.plex import PlexClient
from plugin.redaction import REDACTOR
from plugin.secrets_store import Vault, load_or_create_key

log = logging.getLogger(__name__)

class NotConfigured(RuntimeError):
    """A job needs configuration that is missing; ``fields`` says which."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))


def _client_identifier(data_dir: Path) -> str:
    path = data_dir / "client_identifier"
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    value = f"plexbooks-{uuid.uuid4()}"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value + "\n")
    try:
        os.link(tmp, path)          # first writer wins when two processes start at once
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


class Runtime:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = dict(os.environ if environ is None else environ)
        # The environment's settings, resolved once: a process's environment does not change, so the
        # settings only it sets (API key, address, data directory) need no database read per request.
        self.boot = boot = settings.resolve({}, self.environ)
        self.data_dir = Path(boot.data_dir).expanduser()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = boot.database_url or db.sqlite_url(self.data_dir)
        self.engine = db.make_engine(self.database_url, busy_timeout_s=boot.database_busy_timeout)
        db.upgrade(self.engine)
        self.sessions = db.make_sessionmaker(self.engine)
        self.vault = Vault(load_or_create_key(self.data_dir, boot.secret_key))
        self.client_identifier = _client_identifier(self.data_dir)
        self._config_cache: tuple[float, settings.Config] | None = None
        for name in ("plex_token", "api_key", "secret_key", "database_url", "admin_password"):
            REDACTOR.add(boot.get(name))
        for part in (boot.secret_key or "").split(","):
            REDACTOR.add(part.strip())

    def session(self):
        return db.session_scope(self.sessions)

    # -- settings -----------------------------------------------------------------------
    def _stored(self, with_secrets: bool = True) -> dict[str, Any]:
        """Stored values, decrypted; legacy plain-text secrets are re-encrypted on read.
        ``with_secrets=False`` leaves stored secrets out, undecrypted."""
        values: dict[str, Any] = {}
        with self.session() as s:
            for row in s.scalars(select(StoredSetting)):
                setting = settings.BY_NAME.get(row.key)
                if setting is None or row.value is None or (setting.secret and not with_secrets):
                    continue
                raw = row.value
                if setting.secret:
                    raw, legacy = self.vault.decrypt(row.value)
                    if legacy:
                        row.value = self.vault.encrypt(raw)
                        log.info("re-encrypted stored secret %s", row.key)
                    REDACTOR.add(raw)
                values[row.key] = setting.coerce(raw)
        return values

    def config(self, max_age: float = 0.0, *, with_secrets: bool = True) -> settings.Config:
        """Resolved settings. Hot paths (webhook intake) may accept a copy up to ``max_age``
        seconds old; a save in this process refreshes it at once. A user's operations read
        ``with_secrets=False``: stored secrets (the system Plex token) stay encrypted."""
        if not with_secrets:
            return settings.resolve(self._stored(with_secrets=False), self.environ)
        if max_age > 0:
            cached = self._config_cache
            if cached is not None and time.monotonic() - cached[0] < max_age:
                return cached[1]
        config = settings.resolve(self._stored(), self.environ)
        self._config_cache = (time.monotonic(), config)
        return config

    def save_settings(self, values: Mapping[str, Any]) -> settings.Config:
        """Validate and store settings (all or nothing). Raises SettingError per field."""
        errors: dict[str, str] = {}
        coerced: dict[str, Any] = {}
        for name, raw in values.items():
            setting = settings.BY_NAME.get(name)
            if setting is None:
                errors[name] = "unknown setting"
            elif not setting.stored:
                errors[name] = f"set by the environment ({setting.env}) only"
            else:
                try:
                    coerced[name] = setting.coerce(raw)
                except settings.SettingError as exc:
                    errors.update(exc.fields)
        if errors:
            raise settings.SettingError(errors)
        with self.session() as s:
            for name, value in coerced.items():
                setting = settings.BY_NAME[name]
                text = None if value is None else (",".join(value) if setting.type == "list" else str(value))
                if text is not None and setting.secret:
                    REDACTOR.add(text)
                    text = self.vault.encrypt(text)
                row = s.get(StoredSetting, name)
                if row is None:
                    s.add(StoredSetting(key=name, value=text))
                else:
                    row.value, row.updated_at = text, utcnow()
        return self.config()

    # -- Plex -----------------------------------------------------------------------------
    def plex(self, config: settings.Config | None = None) -> PlexClient:
        """The system client. Raises NotConfigured when URL or token is missing."""
        config = config or self.config()
        missing = {name: "not configured" for name in ("plex_url", "plex_token") if not config[name]}
        if missing:
            raise NotConfigured(missing)
        return PlexClient(config.plex_url, config.plex_token, client_identifier=self.client_identifier,
                          timeout=config.plex_timeout, verify_tls=config.plex_verify_tls)

    def dispose(self) -> None:
        self.engine.dispose()

