"""Every setting plexbooks has, declared once.

The table below feeds environment parsing, validation, the config output (secrets
masked), the settings stored in the database and the README's configuration table
(``tests/test_docs.py`` fails when the README and this table disagree).

Values are layered: the default, then what the admin saved in the database, then the
environment, which wins so a container's configuration is always what it says.
``data_dir`` and ``database_url`` can only come from the environment: they are needed to
find the database in the first place.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


class SettingError(ValueError):
    """A setting value that cannot be used; ``fields`` maps names to messages."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _parse_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _parse_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise ValueError("expected an http:// or https:// URL")
    return value


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw)
        if value <= 0:
            raise ValueError("must be greater than zero")
        return value
    return parse


def _between(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw)
        if not low <= value <= high:          # also refuses nan
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value
    return parse


def _non_negative(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw)
        if value < 0:
            raise ValueError("must not be negative")
        return value
    return parse


def _template(raw: str) -> str:
    from plugin.templates import check_template
    return check_template(raw)


def _parse_mappings(raw: str) -> list[str]:
    pairs = _parse_list(raw)
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip().startswith("/") or not target.strip().startswith("/"):
            raise ValueError("expected pipeline_prefix=plex_prefix pairs of absolute paths")
    return pairs


def _parse_delays(raw: str) -> list[str]:
    delays = _parse_list(raw)
    try:
        numbers = [float(d) for d in delays]
    except ValueError:
        raise ValueError("expected seconds, comma-separated") from None
    if len(numbers) > 10 or any(n < 0 or n > 3600 for n in numbers):
        raise ValueError("at most 10 delays, each from 0 to 3600 seconds")
    return delays


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("expected a port number from 1 to 65535")
    return value


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    type: str                      # "str", "int", "float", "bool", "list", "url"
    default: Any
    env: str
    help: str
    secret: bool = False
    stored: bool = True            # may be saved in the database (settings page / API)
    parse: Callable[[str], Any] = field(default=str, repr=False, compare=False)

    def coerce(self, raw: Any) -> Any:
        """Turn a raw value (env string, JSON value) into this setting's type."""
        if raw is None:
            return None
        if self.type == "list" and isinstance(raw, (list, tuple)):
            raw = ",".join(str(part).strip() for part in raw if str(part).strip())   # validated like env
        if self.type == "bool" and isinstance(raw, bool):
            return raw
        if self.type in ("int", "float") and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str):
            raise SettingError({self.name: f"expected a {self.type}"})
        try:
            return self.parse(raw)
        except (TypeError, ValueError) as exc:
            raise SettingError({self.name: str(exc) or f"expected a {self.type}"}) from None


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "str", "./data", "PLEXBOOKS_DATA_DIR",
            "Directory for the SQLite database, the secret key file and the Plex client identifier "
            "(`/config` in the container).", stored=False),
    Setting("database_url", "str", None, "DATABASE_URL",
            "SQLAlchemy URL of another database, e.g. `postgresql+psycopg://user:pw@host/db`. "
            "Default: SQLite in the data directory.", secret=True, stored=False),
    Setting("database_busy_timeout", "float", 30.0, "PLEXBOOKS_DATABASE_BUSY_TIMEOUT",
            "SQLite: seconds a write waits for another process's lock before it fails (and the "
            "run, event or answer says `database_locked`).", parse=_positive(float), stored=False),
    Setting("secret_key", "str", None, "PLEXBOOKS_SECRET_KEY",
            "Fernet key encrypting tokens at rest; several comma-separated keys, newest first, rotate keys "
            "(`plexbooks secrets rotate` re-encrypts with the newest). Default: generated once into "
            "`<data_dir>/secret.key` (mode 0600).",
            secret=True, stored=False),
    Setting("plex_url", "url", None, "PLEXBOOKS_PLEX_URL",
            "Base URL of the Plex Media Server, e.g. `http://192.168.1.10:32400`.", parse=_parse_url),
    Setting("plex_token", "str", None, "PLEXBOOKS_PLEX_TOKEN",
            "Plex token of the server owner (`X-Plex-Token`). Stored encrypted.", secret=True),
    Setting("plex_library", "list", [], "PLEXBOOKS_PLEX_LIBRARY",
            "Section key(s) of the audiobook library; comma-separated for several.", parse=_parse_list),
    Setting("plex_verify_tls", "bool", True, "PLEXBOOKS_PLEX_VERIFY_TLS",
            "Verify the Plex server's TLS certificate for https URLs.", parse=_parse_bool),
    Setting("plex_timeout", "float", 30.0, "PLEXBOOKS_PLEX_TIMEOUT",
            "Seconds to wait for Plex before a request counts as failed.", parse=_positive(float)),
    Setting("api_key", "str", None, "PLEXBOOKS_API_KEY",
            "Admin API key for `/api/v1` (`X-Api-Key` header). Default: generated at first start, "
            "stored as a hash and shown once in the log.", secret=True, stored=False),
    Setting("host", "str", "127.0.0.1", "PLEXBOOKS_HOST",
            "Address the web server binds (`0.0.0.0` in the container).", stored=False),
    Setting("port", "int", 8787, "PLEXBOOKS_PORT", "Port of the web server.", stored=False, parse=_port),
    Setting("web_workers", "int", 2, "PLEXBOOKS_WEB_WORKERS",
            "Gunicorn worker processes of `plexbooks serve`.", stored=False, parse=_positive(int)),
    Setting("web_threads", "int", 4, "PLEXBOOKS_WEB_THREADS",
            "Threads per web worker process: a browser's idle or slow connection holds one thread, not a "
            "whole worker.", stored=False, parse=_positive(int)),
    Setting("worker_max_restarts", "int", 5, "PLEXBOOKS_WORKER_MAX_RESTARTS",
            "`plexbooks run` restarts a worker that died (backoff 1 s doubling to 30 s) at most this often within "
            "10 minutes, then exits 1 so the container's restart policy acts.", stored=False, parse=int),
    Setting("health_requires_worker", "bool", False, "PLEXBOOKS_HEALTH_REQUIRES_WORKER",
            "`/healthz` answers 503 while no worker sends its heartbeat. `plexbooks run` turns it on.",
            stored=False, parse=_parse_bool),
    Setting("scan_page_size", "int", 1000, "PLEXBOOKS_SCAN_PAGE_SIZE",
            "Albums fetched per Plex request during a scan.", parse=_positive(int)),
    Setting("scan_details_limit", "int", 0, "PLEXBOOKS_SCAN_DETAILS_LIMIT",
            "Albums whose tracks (file paths, durations, path ASINs) a full scan fetches at most per run; the "
            "rest follow in later runs. 0 (the default): every album that needs them, so the first scan "
            "knows every book.", parse=_non_negative(int)),
    Setting("recent_overlap_minutes", "int", 10, "PLEXBOOKS_RECENT_OVERLAP_MINUTES",
            "The recently-added poll re-reads albums added this long before the newest one already mirrored.",
            parse=int),
    Setting("allow_plex_deletion", "bool", False, "PLEXBOOKS_ALLOW_PLEX_DELETION",
            "Deleting a request with `delete_from_plex` also deletes the Plex item (Plex must allow media deletion).",
            parse=_parse_bool),
    Setting("public_url", "url", None, "PLEXBOOKS_PUBLIC_URL",
            "URL at which Plex reaches plexbooks, used to show the webhook URL. Default: `http://host:port`.",
            parse=_parse_url),
    Setting("webhook_secret", "str", None, "PLEXBOOKS_WEBHOOK_SECRET",
            "Secret part of the webhook URL. Default: generated once and stored.", secret=True),
    Setting("poll_interval_minutes", "float", 5.0, "PLEXBOOKS_POLL_INTERVAL_MINUTES",
            "How often the worker runs the recently-added poll.", parse=_positive(float)),
    Setting("full_scan_interval_hours", "float", 6.0, "PLEXBOOKS_FULL_SCAN_INTERVAL_HOURS",
            "How often the worker runs the full scan.", parse=_positive(float)),
    Setting("websocket_enabled", "bool", True, "PLEXBOOKS_WEBSOCKET_ENABLED",
            "Listen to Plex's websocket notifications (real time without Plex Pass).", parse=_parse_bool),
    Setting("inbox_max_attempts", "int", 6, "PLEXBOOKS_INBOX_MAX_ATTEMPTS",
            "Tries per real-time event (with backoff) before it is marked failed.", parse=_positive(int)),
    Setting("scan_subprocess_min_albums", "int", 5000, "PLEXBOOKS_SCAN_SUBPROCESS_MIN_ALBUMS",
            "Sections with at least this many albums are listed by child processes (the album listing, and "
            "the track listing a first scan reads), so parsing runs on other cores while the mirror is "
            "written; a full scan starts the album listing's processes as soon as it knows the section's "
            "size, so they load while it reads the mirror's fingerprints.", parse=int),
    Setting("metrics_public", "bool", False, "PLEXBOOKS_METRICS_PUBLIC",
            "Serve `/metrics` without the API key (for a Prometheus on a trusted network).", parse=_parse_bool),
    Setting("plextv_url", "url", "https://plex.tv", "PLEXBOOKS_PLEXTV_URL",
            "Base URL of plex.tv (sign-in PINs, accounts, resources); the simulator's in tests and the demo.",
            parse=_parse_url),
    Setting("plex_auth_url", "url", "https://app.plex.tv/auth", "PLEXBOOKS_PLEX_AUTH_URL",
            "The Plex sign-in page a user is sent to with the PIN (`#?clientID=...&code=...&forwardUrl=...`).",
            parse=_parse_url),
    Setting("access_recheck_hours", "float", 6.0, "PLEXBOOKS_ACCESS_RECHECK_HOURS",
            "How often the worker re-checks, with each Plex user's own token, that they still have access to "
            "the server; users who lost it are signed out.", parse=_positive(float)),
    Setting("session_hours", "float", 720.0, "PLEXBOOKS_SESSION_HOURS",
            "How long a sign-in session lasts without use: 0.25 (15 minutes, so a save cannot sign everybody "
            "out at once) to 87600 (ten years).", parse=_between(float, 0.25, 87600)),
    Setting("admin_username", "str", None, "PLEXBOOKS_ADMIN_USERNAME",
            "With `PLEXBOOKS_ADMIN_PASSWORD`: create or update this local admin at start (for containers).",
            stored=False),
    Setting("admin_password", "str", None, "PLEXBOOKS_ADMIN_PASSWORD",
            "Password of `PLEXBOOKS_ADMIN_USERNAME` (stored only as an argon2id hash).", secret=True, stored=False),
    Setting("notification_allowed_hosts", "list", [], "PLEXBOOKS_NOTIFICATION_ALLOWED_HOSTS",
            "Hosts, addresses or networks (CIDR) that notification targets may call besides Plex's own host; "
            "comma-separated. Every address a target's name resolves to must be allowed.", parse=_parse_list),
    Setting("notification_max_failures", "int", 12, "PLEXBOOKS_NOTIFICATION_MAX_FAILURES",
            "Failed deliveries in a row after which a notification target is paused (the status says so).",
            parse=_positive(int)),
    Setting("notification_retry_base_seconds", "float", 1.0, "PLEXBOOKS_NOTIFICATION_RETRY_BASE_SECONDS",
            "First retry delay of a failing target; it doubles with every failure in a row.", parse=_positive(float)),
    Setting("notification_max_backoff_seconds", "float", 300.0, "PLEXBOOKS_NOTIFICATION_MAX_BACKOFF_SECONDS",
            "Longest wait between two tries of a failing target.", parse=_positive(float)),
    Setting("notification_timeout", "float", 10.0, "PLEXBOOKS_NOTIFICATION_TIMEOUT",
            "Seconds a target has to answer one delivery.", parse=_positive(float)),
    Setting("notification_log_days", "float", 7.0, "PLEXBOOKS_NOTIFICATION_LOG_DAYS",
            "Delivered events stay in the delivery log this many days; pending ones stay until delivered.",
            parse=_positive(float)),
    Setting("notification_title_template", "str", "{title}", "PLEXBOOKS_NOTIFICATION_TITLE_TEMPLATE",
            "Title of Apprise notifications. Fields: `{event}`, `{event_text}`, `{title}`, `{author}`, "
            "`{narrator}`, `{asin}`, `{user}`, `{status}`, `{request_id}`, `{rating_key}`.", parse=_template),
    Setting("notification_body_template", "str", "{title} by {author}: {event_text}",
            "PLEXBOOKS_NOTIFICATION_BODY_TEMPLATE",
            "Text of Apprise notifications, with the same fields as the title.", parse=_template),
    Setting("path_mappings", "list", [], "PLEXBOOKS_PATH_MAPPINGS",
            "Folder mappings for `POST /api/v1/library/refresh` when the download pipeline and Plex see the "
            "same files under different paths: `pipeline_prefix=plex_prefix` pairs, comma-separated.",
            parse=_parse_mappings),
    Setting("refresh_poll_seconds", "list", ["15", "45", "120", "300"], "PLEXBOOKS_REFRESH_POLL_SECONDS",
            "After a folder refresh, when no webhook ever arrived and the websocket is not connected, the "
            "worker polls recently added items this many seconds after the refresh.", parse=_parse_delays),
    Setting("log_level", "str", "INFO", "PLEXBOOKS_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.",
            stored=False, parse=_log_level),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}
MASK = "********"


class Config(Mapping[str, Any]):
    """Resolved settings with where each value came from (default, database, env)."""

    def __init__(self, values: dict[str, Any], sources: dict[str, str]):
        self._values = values
        self.sources = sources

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def public(self) -> dict[str, dict[str, Any]]:
        """The config output: every setting with its source; secrets masked."""
        out: dict[str, dict[str, Any]] = {}
        for setting in SETTINGS:
            value = self._values.get(setting.name)
            if setting.secret:
                value = MASK if value else None
            out[setting.name] = {"value": value, "source": self.sources.get(setting.name, "default"),
                                 "env": setting.env, "secret": setting.secret}
        return out


def resolve(stored: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Layer defaults, stored values and the environment; raise SettingError listing every bad field."""
    environ = os.environ if environ is None else environ
    stored = stored or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    errors: dict[str, str] = {}
    for setting in SETTINGS:
        values[setting.name] = setting.default
        sources[setting.name] = "default"
        if setting.stored and stored.get(setting.name) is not None:
            try:
                values[setting.name] = setting.coerce(stored[setting.name])
                sources[setting.name] = "database"
            except SettingError as exc:
                errors.update(exc.fields)
        raw = environ.get(setting.env)
        if raw is not None and raw != "":
            try:
                values[setting.name] = setting.coerce(raw)
                sources[setting.name] = "env"
            except SettingError as exc:
                errors[setting.name] = f"{setting.env}: {exc.fields[setting.name]}"
    if errors:
        raise SettingError(errors)
    return Config(values, sources)


def readme_table() -> str:
    """The configuration table as Markdown, for the README."""
    rows = ["| Setting | Environment variable | Default | Description |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        shown = ",".join(s.default) if isinstance(s.default, list) else s.default
        default = "—" if s.default in (None, []) else f"`{shown}`"
        flags = " *(secret)*" if s.secret else ""
        rows.append(f"| `{s.name}` | `{s.env}` | {default} | {s.help}{flags} |")
    return "\n".join(rows)
