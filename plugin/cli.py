"""The `plexbooks` command.

Exit codes: 0 success; 1 the job ran and failed (Plex unreachable, bad response);
2 wrong usage or configuration. ``--json`` output goes to stdout, logs to stderr.
Every command creates or upgrades the schema before anything else.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any, Callable

from plugin import __version__, state
from plugin.logs import configure as configure_logging

log = logging.getLogger("plexbooks")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2      # the same as plugin.errors (kept import-free here)


def _emit(data: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        sys.stdout.write((text(data) if text else json.dumps(data, indent=2, default=str)) + "\n")


def _runtime():
    from plugin.runtime import Runtime
    return Runtime()


def _job_exit(summary: dict[str, Any]) -> int:
    from plugin.errors import exit_code_for
    return EXIT_OK if summary.get("status") == "ok" else exit_code_for(summary.get("error_class") or "internal_error")


def _scan_text(s: dict[str, Any]) -> str:
    if s.get("status") != "ok":
        return f"{s.get('job', 'scan')} failed ({s.get('error_class')}): {s.get('error')}"
    line = (f"{s['total']} albums: {s['new']} new, {s['updated']} updated, {s['unchanged']} unchanged, "
            f"{s['removed']} removed, {s['skipped']} skipped in {s['duration_s']} s")
    matching = s.get("matching") or {}
    if matching:
        line += f"; {matching.get('matched', 0)} of {matching.get('open', 0)} open requests now available"
    return line


def cmd_scan(args: argparse.Namespace) -> int:
    from plugin import sync
    runtime = _runtime()
    summary = sync.recent_poll(runtime, trigger="cli") if args.recent else sync.full_scan(runtime, trigger="cli")
    _emit(summary, args.json, _scan_text)
    return _job_exit(summary)


def cmd_db(args: argparse.Namespace) -> int:
    from plugin import db
    runtime = _runtime()
    revision = db.current_revision(runtime.engine)
    _emit({"revision": revision, "head": db.head_revision()}, args.json,
          lambda d: f"database at revision {d['revision']} (head {d['head']})")
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    runtime = _runtime()
    config = runtime.config().public()
    _emit(config, args.json, lambda c: "\n".join(
        f"{name:24} {v['value']!s:40} ({v['source']}, {v['env']})" for name, v in c.items()))
    return EXIT_OK


def cmd_connect(args: argparse.Namespace) -> int:
    """Test a URL and token, list the libraries, and save them when they work."""
    from plugin.plex import PlexClient, PlexError
    from plugin.settings import SettingError
    runtime = _runtime()
    config = runtime.config()
    url = args.url or config.plex_url
    token = args.token or (os.environ.get("PLEXBOOKS_PLEX_TOKEN") if args.token_env else None) or config.plex_token
    if not url or not token:
        _emit({"error": "give --url and --token (or set PLEXBOOKS_PLEX_URL / PLEXBOOKS_PLEX_TOKEN)"}, args.json,
              lambda d: d["error"])
        return EXIT_USAGE
    try:
        client = PlexClient(url, token, client_identifier=runtime.client_identifier,
                            timeout=config.plex_timeout, verify_tls=config.plex_verify_tls)
        info = client.server_info()
        sections = client.sections()
    except PlexError as exc:
        _emit({"ok": False, "error_class": exc.code, "error": str(exc)}, args.json,
              lambda d: f"connection failed ({d['error_class']}): {d['error']}")
        return EXIT_FAILED
    state.remember_machine_identifier(runtime, info.machine_identifier)
    music = [s for s in sections if s.is_music]
    chosen = args.library.split(",") if args.library else None
    if chosen is None and len(music) == 1:
        chosen = [music[0].key]
    unknown = [key for key in chosen or [] if key not in {s.key for s in music}]
    if unknown:
        _emit({"ok": False, "error": f"not a music library on this server: {', '.join(unknown)}"}, args.json,
              lambda d: d["error"])
        return EXIT_USAGE
    values: dict[str, Any] = {"plex_url": url, "plex_token": token}
    if chosen:
        values["plex_library"] = chosen
    try:
        runtime.save_settings(values)
    except SettingError as exc:
        _emit({"ok": False, "fields": exc.fields}, args.json, lambda d: str(d["fields"]))
        return EXIT_USAGE
    result = {"ok": True, "server": info.as_dict(), "libraries": [s.as_dict() for s in sections],
              "library": chosen}
    _emit(result, args.json, lambda d: (
        f"connected to {info.friendly_name} ({info.machine_identifier}, Plex {info.version} on {info.platform})\n"
        + "\n".join(f"  [{s.key}] {s.title} ({s.type}){' <- audiobooks' if chosen and s.key in chosen else ''}"
                    for s in sections)
        + ("" if chosen else "\nchoose the audiobook library with --library KEY")))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from plugin.status import status
    _emit(status(_runtime()), args.json)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from plugin import metrics
    from plugin.web.server import serve
    runtime = _runtime()
    # Under `plexbooks run` the supervisor prepared (and emptied) the directory for both children.
    metrics.prepare(runtime.data_dir, clean=not metrics.multiprocess())
    return serve(runtime)


def import_commands(*commands: str) -> None:
    """Import what ``serve`` and ``worker`` run, ahead of time, for a process that forks them
    (the supervisor): each fork then starts with the code in place."""
    if "worker" in commands:
        import plugin.worker  # noqa: F401
    if "serve" in commands:
        from plugin.web import import_views
        from plugin.web.server import serve  # noqa: F401
        import_views()


def cmd_worker(args: argparse.Namespace) -> int:
    from plugin import metrics
    from plugin.worker import main as worker_main
    runtime = _runtime()
    metrics.prepare(runtime.data_dir, clean=False)
    return worker_main(runtime)


def cmd_run(args: argparse.Namespace) -> int:
    """Web and worker together, for the container: two supervised children (plugin/supervisor.py)."""
    from plugin.supervisor import run
    return run()


def cmd_match_pairs(args: argparse.Namespace) -> int:
    from plugin.matching import match_pairs
    _runtime()  # every command brings the schema up to date first
    try:
        handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"cannot read {args.file}: {exc.strerror}\n")
        return EXIT_USAGE
    errors = 0
    with handle:
        for result in match_pairs(handle):
            errors += "error" in result
            sys.stdout.write(json.dumps(result) + "\n")
    return EXIT_FAILED if errors else EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    """From a prompt (twice) on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        import getpass
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != first:
            sys.stderr.write("plexbooks: the passwords differ\n")
            return None
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n") or None


def cmd_admin(args: argparse.Namespace) -> int:
    from plugin.accounts import upsert_local_admin
    runtime = _runtime()
    password = _read_password(args)
    if not password:
        sys.stderr.write("plexbooks: give the password on standard input or at the prompt\n")
        return EXIT_USAGE
    try:
        user, created = upsert_local_admin(runtime, args.username, password)
    except ValueError as exc:
        sys.stderr.write(f"plexbooks: {exc}\n")
        return EXIT_USAGE
    _emit({"id": user.id, "username": user.username, "created": created}, args.json,
          lambda d: f"local admin {d['username']} ({d['id']}) {'created' if d['created'] else 'updated'}")
    return EXIT_OK


def cmd_secrets(args: argparse.Namespace) -> int:
    from plugin.rotation import rotate_secrets
    counts = rotate_secrets(_runtime())
    _emit(counts, args.json, lambda c: f"re-encrypted {c['settings']} stored settings and {c['user_tokens']} "
                                       "user tokens with the newest key")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plexbooks", description="Plex companion for audiobook requests.")
    parser.add_argument("--version", action="version", version=f"plexbooks {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("scan", help="full library scan (or --recent: recently-added poll)")
    p.add_argument("--recent", action="store_true", help="only albums added since the last one seen")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("db", help="database schema")
    p.add_argument("action", choices=["upgrade"], help="create or upgrade the schema")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("config", help="show the configuration (secrets masked)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("connect", help="test a Plex URL and token, list libraries, save them")
    p.add_argument("--url", help="Plex server URL")
    p.add_argument("--token", help="Plex token (prefer --token-env: command lines are visible to other users)")
    p.add_argument("--token-env", action="store_true", help="read the token from PLEXBOOKS_PLEX_TOKEN")
    p.add_argument("--library", help="section key(s) of the audiobook library, comma-separated")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_connect)

    p = sub.add_parser("status", help="Plex reachability, last runs, counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("serve", help="run the web app under gunicorn")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the worker: inbox, websocket listener, scheduled jobs")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("run", help="web and worker together (the container's command)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("admin", help="local admins (sign in without Plex)")
    p.add_argument("action", choices=["create"], help="create a local admin, or set its password")
    p.add_argument("--username", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_admin)

    p = sub.add_parser("secrets", help="stored secrets")
    p.add_argument("action", choices=["rotate"], help="re-encrypt every stored secret with the newest key")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_secrets)

    sub.add_parser("simulate", help="run the simulated Plex server and plex.tv (plexbooks simulate --help)")

    p = sub.add_parser("match-pairs", help="decide request/item pairs read as JSON lines")
    p.add_argument("file", help="JSON lines file, or - for standard input")
    p.set_defaults(func=cmd_match_pairs)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["simulate"]:
        # The simulator parses its own options (argparse cannot hand "--port" through).
        from plugin.simulator.server import main as simulate_main
        return simulate_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    from plugin.errors import classify
    try:
        level = os.environ.get("PLEXBOOKS_LOG_LEVEL", "INFO").upper()
        configure_logging(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        kind = classify(exc)
        if not kind.expected:
            raise
        prefix = "configuration error: " if kind.code in ("not_configured", "invalid_settings") else ""
        sys.stderr.write(f"plexbooks: {prefix}{exc}\n")
        return kind.exit_code


if __name__ == "__main__":
    sys.exit(main())
