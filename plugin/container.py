"""The container's entrypoint and health check (``python -m plugin.container``).

The image starts as root under tini, and this module prepares the process before it becomes
``plexbooks run``, the way linuxserver.io images behave:

1. **Home Assistant add-on options.** Home Assistant writes the add-on's options to
   ``/data/options.json`` and mounts the add-on's storage at ``/data``. When that file exists, each
   option named like a setting (``plex_url``, ``plex_token``, ...) becomes that setting's
   environment variable (the manifest, ``addon.yaml``, also points the data directory at ``/data``).
2. **Secrets from files.** ``FILE__PLEXBOOKS_PLEX_TOKEN=/run/secrets/plex_token`` sets
   ``PLEXBOOKS_PLEX_TOKEN`` to the file's content, so a token never has to stand in the
   container's environment (which ``docker inspect`` shows to anyone who may inspect).
3. **PUID/PGID.** As root, it creates the data directory, hands it (and what is in it) to
   ``PUID:PGID`` (default 1000:1000), drops every privilege to that user and group, and only then
   executes the command. Started with ``--user`` instead, it runs as that user unchanged.

``python -m plugin.container healthcheck`` is the image's HEALTHCHECK: it asks ``/healthz`` on the
port the app really listens on (``PLEXBOOKS_PORT``), not a port written into the image.

Only the standard library and the settings table are used: this runs before anything else.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping, MutableMapping

ADDON_OPTIONS = Path("/data/options.json")
DEFAULT_COMMAND = ["plexbooks", "run"]
DEFAULT_ID = 1000
FILE_PREFIX = "FILE__"


def _say(message: str) -> None:
    sys.stderr.write(f"plexbooks-container: {message}\n")
    sys.stderr.flush()


class EntrypointError(Exception):
    """Something the container cannot start with; the message says what to change."""


# -- Home Assistant options ---------------------------------------------------------------------
def option_environment(options: Mapping[str, Any]) -> dict[str, str]:
    """Environment variables for add-on options named like settings; unknown options are refused.

    Empty values (``""``, ``null``, ``[]``) are left out, so an option the user did not fill in
    keeps the default. Lists become comma-separated, booleans ``true``/``false``.
    """
    from plugin.settings import BY_NAME
    env: dict[str, str] = {}
    unknown = sorted(set(options) - set(BY_NAME))
    if unknown:
        raise EntrypointError(f"unknown add-on option(s): {', '.join(unknown)}")
    for name, value in options.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(part) for part in value)
        elif isinstance(value, (int, float, str)):
            text = str(value)
        else:
            raise EntrypointError(f"add-on option {name}: expected a text, number, boolean or list")
        env[BY_NAME[name].env] = text
    return env


def apply_addon_options(environ: MutableMapping[str, str], path: Path = ADDON_OPTIONS) -> bool:
    """Export the add-on options of ``path`` into ``environ``; False when there is no such file."""
    if not path.is_file():
        return False
    try:
        options = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EntrypointError(f"cannot read {path}: {exc}") from None
    if not isinstance(options, dict):
        raise EntrypointError(f"{path} must hold a JSON object")
    environ.update(option_environment(options))
    return True


# -- secrets from files ---------------------------------------------------------------------------
def apply_secret_files(environ: MutableMapping[str, str]) -> list[str]:
    """Replace every ``FILE__NAME=path`` by ``NAME=<content of path>``; return the names set."""
    names = []
    for key in sorted(k for k in environ if k.startswith(FILE_PREFIX)):
        name, path = key[len(FILE_PREFIX):], environ.pop(key)
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EntrypointError(f"{key}: cannot read {path}: {exc.strerror}") from None
        environ[name] = value
        names.append(name)
    return names


# -- users and the data directory --------------------------------------------------------------------
def _id(environ: Mapping[str, str], name: str) -> int:
    raw = environ.get(name, "").strip() or str(DEFAULT_ID)
    if not raw.isdigit() or int(raw) > 2**31 - 1:
        raise EntrypointError(f"{name} must be a number (a user or group id), not {raw!r}")
    return int(raw)


def own_tree(root: Path, uid: int, gid: int) -> int:
    """Give ``root`` and everything below it to uid:gid (symlinks themselves, never their targets).

    Only entries with another owner are changed, so a restart with the same ids touches nothing.
    Returns how many entries were changed.
    """
    changed = 0
    for directory, dirs, files in os.walk(root):
        for entry in [directory, *(os.path.join(directory, n) for n in (*dirs, *files))]:
            st = os.lstat(entry)
            if (st.st_uid, st.st_gid) != (uid, gid):
                os.chown(entry, uid, gid, follow_symlinks=False)
                changed += 1
    return changed


def drop_privileges(environ: MutableMapping[str, str]) -> tuple[int, int]:
    """As root: own the data directory as PUID:PGID and become that user. Return (uid, gid)."""
    data_dir = Path(environ.get("PLEXBOOKS_DATA_DIR") or "/config")
    if os.getuid() != 0:
        # started with --user: nothing to drop, but say plainly when the data cannot be written
        data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(data_dir, os.W_OK):
            raise EntrypointError(f"{data_dir} is not writable by uid {os.getuid()}; "
                                  "give the volume to this user or start as root with PUID/PGID")
        return os.getuid(), os.getgid()
    uid, gid = _id(environ, "PUID"), _id(environ, "PGID")
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        changed = own_tree(data_dir, uid, gid)
    except OSError as exc:   # e.g. NFS with root squashed: go on, and say why writes may fail
        _say(f"cannot give {data_dir} to {uid}:{gid} ({exc.strerror}); it must be writable by that user")
    else:
        if changed:
            _say(f"gave {changed} entries of {data_dir} to {uid}:{gid}")
    if uid == 0:
        _say("PUID=0: running as root (not recommended)")
        return 0, gid
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    environ["HOME"] = str(data_dir)
    return uid, gid


def main_entrypoint(argv: list[str]) -> int:
    """Prepare the environment and user, then become ``argv`` (``plexbooks run`` by default)."""
    command = argv or DEFAULT_COMMAND
    environ = os.environ
    try:
        if apply_addon_options(environ):
            _say(f"read the add-on options from {ADDON_OPTIONS}")
        apply_secret_files(environ)
        tz = environ.get("TZ", "")
        if tz and not Path("/usr/share/zoneinfo", tz).is_file():
            _say(f"TZ={tz} is not a known time zone; times are shown in UTC")
        uid, gid = drop_privileges(environ)
    except EntrypointError as exc:
        _say(str(exc))
        return 2
    _say(f"starting {' '.join(command)} as {uid}:{gid}")
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        _say(f"cannot run {command[0]}: {exc.strerror}")
        return 127


# -- health check -------------------------------------------------------------------------------------
def health_url(environ: Mapping[str, str]) -> str:
    """The /healthz URL of the web server this container runs, from its own settings."""
    host = (environ.get("PLEXBOOKS_HOST") or "127.0.0.1").strip()
    if host in ("0.0.0.0", "::", "", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = (environ.get("PLEXBOOKS_PORT") or "8787").strip()
    return f"http://{host}:{port}/healthz"


def healthcheck(environ: Mapping[str, str], timeout: float = 4.0) -> int:
    url = health_url(environ)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own URL
            body = response.read(4096).decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(4096).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        print(f"{url}: {exc}")
        return 1
    print(f"{url}: {status} {body.strip()}")
    return 0 if status == 200 else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["healthcheck"]:
        return healthcheck(os.environ)
    return main_entrypoint(argv)


if __name__ == "__main__":
    sys.exit(main())
