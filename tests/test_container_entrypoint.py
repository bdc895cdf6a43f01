"""The container's entrypoint (plugin/container.py) outside a container: add-on options, secrets
from files, PUID/PGID, bad input refused before anything starts, and the health check's URL."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from plugin import state
from plugin.container import (
    EntrypointError,
    apply_addon_options,
    apply_secret_files,
    health_url,
    healthcheck,
    option_environment,
    own_tree,
)

needs_root = pytest.mark.skipif(os.getuid() != 0, reason="dropping to PUID/PGID needs root")


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary directory another user may enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="plexbooks-entrypoint-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def entrypoint(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PLEXBOOKS_", "FILE__", "PUID", "PGID"))}
    return subprocess.run([sys.executable, "-m", "plugin.container", *command], capture_output=True, text=True,
                          env={**base, "PLEXBOOKS_DATA_DIR": str(tmp_path / "config"), **env}, timeout=60)


def test_options_become_the_settings_environment_variables():
    env = option_environment({"plex_url": "http://plex:32400", "plex_library": ["3", "7"], "plex_verify_tls": False,
                              "poll_interval_minutes": 2.5, "scan_page_size": 500, "api_key": "",
                              "public_url": None, "webhook_secret": []})
    assert env == {"PLEXBOOKS_PLEX_URL": "http://plex:32400", "PLEXBOOKS_PLEX_LIBRARY": "3,7",
                   "PLEXBOOKS_PLEX_VERIFY_TLS": "false", "PLEXBOOKS_POLL_INTERVAL_MINUTES": "2.5",
                   "PLEXBOOKS_SCAN_PAGE_SIZE": "500"}


@pytest.mark.parametrize("options, message", [
    ({"plex_uri": "http://x"}, "unknown add-on option(s): plex_uri"),
    ({"plex_url": {"nested": 1}}, "add-on option plex_url: expected a text, number, boolean or list"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(EntrypointError, match=message.replace("(", r"\(").replace(")", r"\)")):
        option_environment(options)


def test_options_file(tmp_path):
    path = tmp_path / "options.json"
    environ: dict[str, str] = {}
    assert apply_addon_options(environ, path) is False and environ == {}
    path.write_text(json.dumps({"plex_url": "http://plex:32400", "websocket_enabled": True}))
    assert apply_addon_options(environ, path) is True
    assert environ == {"PLEXBOOKS_PLEX_URL": "http://plex:32400", "PLEXBOOKS_WEBSOCKET_ENABLED": "true"}
    for bad in ("{not json", "[1, 2]"):
        path.write_text(bad)
        with pytest.raises(EntrypointError, match=str(path)):
            apply_addon_options({}, path)


def test_secrets_from_files_replace_the_file_variables(tmp_path):
    (tmp_path / "token").write_text("s3cret-token\n")
    environ = {"FILE__PLEXBOOKS_PLEX_TOKEN": str(tmp_path / "token"), "OTHER": "x"}
    assert apply_secret_files(environ) == ["PLEXBOOKS_PLEX_TOKEN"]
    assert environ == {"PLEXBOOKS_PLEX_TOKEN": "s3cret-token", "OTHER": "x"}
    with pytest.raises(EntrypointError, match="FILE__PLEXBOOKS_API_KEY: cannot read"):
        apply_secret_files({"FILE__PLEXBOOKS_API_KEY": str(tmp_path / "missing")})


def test_own_tree_changes_only_what_has_another_owner(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("x")
    (tmp_path / "link").symlink_to("/etc/hostname")
    uid, gid = os.getuid(), os.getgid()
    assert own_tree(tmp_path, uid, gid) == 0                  # nothing to do: no write at all
    if uid == 0:
        assert own_tree(tmp_path, 4321, 4322) == 4            # dir, a, a/f, the link itself
        assert (tmp_path / "a" / "f").stat().st_uid == 4321
        assert Path("/etc/hostname").stat().st_uid == 0       # a symlink's target is never touched
        assert own_tree(tmp_path, 4321, 4322) == 0


@needs_root
def test_drops_to_puid_and_pgid_and_owns_the_data_dir(open_tmp):
    tmp_path = open_tmp
    result = entrypoint(tmp_path, "sh", "-c", "id -u; id -g; id -G; echo $HOME; touch $PLEXBOOKS_DATA_DIR/x",
                        PUID="4321", PGID="4322")
    assert result.returncode == 0, result.stderr
    uid, gid, groups, home = result.stdout.split("\n")[:4]
    assert (uid, gid, groups) == ("4321", "4322", "4322")      # no supplementary group of root survives
    assert home == str(tmp_path / "config")
    assert (tmp_path / "config").stat().st_uid == 4321
    assert (tmp_path / "config" / "x").stat().st_uid == 4321
    assert "starting sh -c" in result.stderr and "as 4321:4322" in result.stderr


@needs_root
@pytest.mark.parametrize("env, message", [
    ({"PUID": "abc"}, "PUID must be a number"),
    ({"PGID": "-1"}, "PGID must be a number"),
    ({"FILE__PLEXBOOKS_PLEX_TOKEN": "/nonexistent/token"}, "FILE__PLEXBOOKS_PLEX_TOKEN: cannot read"),
])
def test_bad_input_stops_before_anything_runs(tmp_path, env, message):
    result = entrypoint(tmp_path, "sh", "-c", "echo started", **env)
    assert result.returncode == 2
    assert message in result.stderr and "started" not in result.stdout


def test_a_missing_command_is_exit_127(tmp_path):
    result = entrypoint(tmp_path, "no-such-command-here", PUID=str(os.getuid()), PGID=str(os.getgid()))
    assert result.returncode == 127 and "cannot run no-such-command-here" in result.stderr


def test_health_url_follows_the_settings():
    assert health_url({}) == "http://127.0.0.1:8787/healthz"
    assert health_url({"PLEXBOOKS_HOST": "0.0.0.0", "PLEXBOOKS_PORT": "9000"}) == "http://127.0.0.1:9000/healthz"
    assert health_url({"PLEXBOOKS_HOST": "10.0.0.5", "PLEXBOOKS_PORT": "9000"}) == "http://10.0.0.5:9000/healthz"
    assert health_url({"PLEXBOOKS_HOST": "::1"}) == "http://[::1]:8787/healthz"


def test_healthcheck_answers_by_the_status_of_healthz(tmp_path, capsys):
    import threading

    from werkzeug.serving import make_server

    from plugin.runtime import Runtime
    from plugin.web import create_app
    from tests.processes import free_port
    runtime = Runtime({"PLEXBOOKS_DATA_DIR": str(tmp_path / "data"), "PLEXBOOKS_API_KEY": "k" * 20,
                       "PLEXBOOKS_HEALTH_REQUIRES_WORKER": "true"})
    port = free_port()
    server = make_server("127.0.0.1", port, create_app(runtime))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert healthcheck({"PLEXBOOKS_PORT": str(port)}) == 1           # 503: no worker
        assert "503" in capsys.readouterr().out
        state.put(runtime, "state.worker", json.dumps({"pid": 1, "heartbeat_at": __import__("time").time()}))
        assert healthcheck({"PLEXBOOKS_PORT": str(port)}) == 0
    finally:
        server.shutdown()
        runtime.dispose()
    assert healthcheck({"PLEXBOOKS_PORT": str(port)}, timeout=1) == 1    # nothing listens
