"""`make demo`: the simulated Plex with a sample audiobook library, plexbooks against it, a
scan, and a pending request turning available seconds after its book is added to Plex.

Everything lives in `.demo/` (recreated on each run). Ctrl-C stops it all.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path.cwd() / ".demo"
TOKEN = "demo-plex-token"
BOOKS = 300


def _port(preferred: int) -> int:
    """The usual port when it is free, else any free one."""
    for candidate in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit("demo: no free port")


def _wait(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, headers=headers, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"demo: {url} did not come up")


def say(text: str = "") -> None:
    print(text, flush=True)


def main() -> int:
    shutil.rmtree(ROOT, ignore_errors=True)
    ROOT.mkdir(parents=True)
    plex_port, web_port, plextv_port = _port(32400), _port(8787), _port(32401)
    api_key, hook_secret = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    plex_url, web_url = f"http://127.0.0.1:{plex_port}", f"http://127.0.0.1:{web_port}"
    plextv_url = f"http://127.0.0.1:{plextv_port}"
    admin_password = secrets.token_urlsafe(12)
    hook_url = f"{web_url}/webhooks/plex/{hook_secret}"
    env = {**os.environ, "PLEXBOOKS_DATA_DIR": str(ROOT / "data"), "PLEXBOOKS_PLEX_URL": plex_url,
           "PLEXBOOKS_PLEX_TOKEN": TOKEN, "PLEXBOOKS_PLEX_LIBRARY": "3", "PLEXBOOKS_API_KEY": api_key,
           "PLEXBOOKS_WEBHOOK_SECRET": hook_secret, "PLEXBOOKS_PORT": str(web_port),
           "PLEXBOOKS_HOST": "127.0.0.1", "PLEXBOOKS_LOG_LEVEL": "WARNING",
           "PLEXBOOKS_PLEXTV_URL": plextv_url, "PLEXBOOKS_PLEX_AUTH_URL": f"{plextv_url}/auth",
           "PLEXBOOKS_ADMIN_USERNAME": "admin", "PLEXBOOKS_ADMIN_PASSWORD": admin_password}
    procs: list[subprocess.Popen] = []
    logs = {name: open(ROOT / f"{name}.log", "w") for name in ("simulator", "plexbooks")}
    try:
        say(f"Starting the simulated Plex server with {BOOKS} sample audiobooks...")
        procs.append(subprocess.Popen([sys.executable, "-m", "plugin", "simulate", "--port", str(plex_port),
                                       "--books", str(BOOKS), "--seed", "1", "--token", TOKEN,
                                       # a few books with the raw control characters real servers send
                                       "--dirty-text", "0.02",
                                       "--webhook-url", hook_url, "--plextv-port", str(plextv_port)],
                                      stdout=logs["simulator"],
                                      stderr=subprocess.STDOUT, env=env))
        _wait(f"{plex_url}/identity", {"X-Plex-Token": TOKEN})

        say("Running a full library scan...")
        scan = subprocess.run([sys.executable, "-m", "plugin", "scan", "--json"], env=env, capture_output=True,
                              text=True)
        if scan.returncode != 0:
            say(scan.stdout + scan.stderr)
            return 1
        import json
        summary = json.loads(scan.stdout)
        say(f"  found {summary['total']} audiobooks: {summary['new']} new, {summary['skipped']} skipped, "
            f"in {summary['duration_s']} s; track details for {summary['details']['fetched']}")

        say("Starting plexbooks (web + worker)...")
        procs.append(subprocess.Popen([sys.executable, "-m", "plugin", "run"], stdout=logs["plexbooks"],
                                      stderr=subprocess.STDOUT, env=env))
        _wait(f"{web_url}/healthz")
        api = requests.Session()
        api.headers["X-Api-Key"] = api_key
        status = api.get(f"{web_url}/api/v1/status").json()
        say(f"  {status['counts']['library_items']} books mirrored, "
            f"{status['counts']['library_items_with_asin']} with an ASIN")

        title, author = "The Long Way to a Small, Angry Planet", "Becky Chambers"
        req = api.post(f"{web_url}/api/v1/requests", json={"title": title, "author": author,
                                                             "user": "demo", "status": "downloaded"}).json()
        say(f"\nRequest #{req['id']} for \"{title}\" is {req['status']}. Adding the book to Plex...")
        added_at = time.monotonic()
        requests.post(f"{plex_url}/_simulator/albums", json={"title": f"{title} (Unabridged)", "author": author,
                                                            "narrator": "Rachel Dulude"}, timeout=5)
        while time.monotonic() - added_at < 30:
            current = api.get(f"{web_url}/api/v1/requests/{req['id']}").json()
            if current["status"] == "available":
                say(f"Request #{req['id']} is available {time.monotonic() - added_at:.2f} s later "
                    f"(matched {current['match']['reason']}, score {current['match']['score']}).")
                break
            time.sleep(0.1)
        else:
            say("The request did not turn available within 30 s; see .demo/plexbooks.log")

        say("\nSigning in with Plex (the simulated plex.tv) as the server owner and as a shared user...")
        for account in ("owner", "reader"):
            say(f"  {_sign_in(web_url, plextv_url, account)}")

        say(f"""
plexbooks:         {web_url}
  API key:         {api_key}
  try:             curl -H 'X-Api-Key: {api_key}' {web_url}/api/v1/status
                   curl -H 'X-Api-Key: {api_key}' '{web_url}/api/v1/library?q=planet'
sign in with Plex: curl -X POST {web_url}/api/v1/auth/plex/pins   -> open its auth_url in a browser,
                   pick "owner" (the server owner: admin) or "reader" (a shared user: user), press Sign in;
                   the browser comes back to plexbooks signed in ("stranger" has no access: refused).
  without browser: curl -X POST {plextv_url}/_simulator/pins/ID/claim -d '{{"username": "reader"}}'
                   curl -c jar -X POST {web_url}/api/v1/auth/plex/pins/ID/claim
                   curl -b jar {web_url}/api/v1/me/ratings
local admin:       curl -c jar -X POST {web_url}/api/v1/auth/login -H 'Content-Type: application/json' \\
                        -d '{{"username": "admin", "password": "{admin_password}"}}'
simulated plex.tv: {plextv_url}  (sign-in page {plextv_url}/auth)
simulated Plex:    {plex_url}  (token {TOKEN})
  add a book:      curl -X POST {plex_url}/_simulator/albums -H 'Content-Type: application/json' \\
                        -d '{{"title": "Some Book", "author": "Some Author"}}'
logs:              .demo/*.log
""")
        if os.environ.get("PLEXBOOKS_DEMO_EXIT"):
            return 0
        say("Running; press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        # plexbooks first, and only then its Plex: a Plex that vanishes first is a lost connection
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for handle in logs.values():
            handle.close()


def _sign_in(web_url: str, plextv_url: str, account: str) -> str:
    """The PIN flow as a browser would do it, with the simulated plex.tv's control API pressing
    the Sign in button for ``account``."""
    session = requests.Session()
    pin = session.post(f"{web_url}/api/v1/auth/plex/pins", timeout=10).json()
    requests.post(f"{plextv_url}/_simulator/pins/{pin['id']}/claim", json={"username": account}, timeout=5)
    answer = session.post(f"{web_url}/api/v1/auth/plex/pins/{pin['id']}/claim", timeout=10)
    if answer.status_code != 200:
        return f"{account}: sign-in failed ({answer.status_code} {answer.text[:200]})"
    user = answer.json()["user"]
    rated = session.get(f"{web_url}/api/v1/me/ratings", timeout=30).json()
    return (f"{account}: signed in as {user['role']} ({user['id']}); "
            f"{rated.get('total', 0)} books with their own rating")


if __name__ == "__main__":
    sys.exit(main())
