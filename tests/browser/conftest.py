"""Browser tests: Playwright driving Debian's Chromium against a real ``plexbooks run``.

One browser for the session, one server (web + worker) per module and path prefix. Pages are
reached the way a person reaches them; every request the browser sends to plexbooks is
checked to carry the path prefix (Home Assistant's ingress serves nothing else), console
errors fail the test, and each page's screenshot is kept under ``test-artifacts/``.
"""
from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from plugin.simulator.plextv import SimulatedPlexTV
from plugin.simulator.server import SimulatedPlex
from tests.conftest import API_KEY
from tests.processes import Proc, free_port, wait_for, wait_http

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
INGRESS = f"/api/hassio_ingress/{secrets.token_urlsafe(12)}"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run scripts/ensure-chromium.sh (make test does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Site:
    """One running plexbooks (web + worker) with its simulated Plex and plex.tv."""

    origin: str
    prefix: str
    plex: SimulatedPlex
    plextv: SimulatedPlexTV
    proc: Proc
    artifacts: Path
    violations: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.origin + self.prefix

    def url(self, path: str) -> str:
        return self.base + path

    def setup_code(self) -> str:
        found = wait_for(lambda: re.search(r"setup code ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", self.proc.log()),
                         20, 0.1, "setup code in the log")
        return found.group(1)

    def api(self):
        import requests
        session = requests.Session()
        session.headers["X-Api-Key"] = API_KEY
        return session

    def new_context(self, browser):
        """A browser context that sends the prefix the way the ingress proxy does and reports
        any request to plexbooks that does not carry it, and any console error."""
        context = browser.new_context(viewport={"width": 1200, "height": 900},
                                      extra_http_headers={"X-Ingress-Path": self.prefix} if self.prefix else {})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.origin)
        context.set_default_timeout(10_000)

        def on_request(request) -> None:
            parts = urlsplit(request.url)
            if f"{parts.scheme}://{parts.netloc}" == self.origin and self.prefix and \
                    not parts.path.startswith(self.prefix + "/") and parts.path != self.prefix:
                self.violations.append(f"request without the prefix: {request.method} {parts.path}")

        def on_page(page) -> None:
            page.on("console", lambda msg: self._console(msg))
            page.on("pageerror", lambda exc: self.violations.append(f"page error: {exc}"))

        context.on("request", on_request)
        context.on("page", on_page)
        return context

    def _console(self, msg) -> None:
        # An API's 4xx shows as "Failed to load resource" in Chromium: an answer, not a page error.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.violations.append(f"console error: {msg.text}")

    def shoot(self, page, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, page, name: str) -> None:
        """axe-core: no serious or critical violations."""
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }""")
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: accessibility violations {bad}"


class _Started:
    """A server being started (its process boots while other tests run)."""

    def __init__(self, name: str, tmp: Path):
        self.prefix = INGRESS if name == "ingress" else ""
        self.plex = SimulatedPlex(books=120, seed=7)
        self.plex.start()
        self.plextv = SimulatedPlexTV(self.plex)
        self.plextv.start()
        self.plextv.add_user("reader")
        self.port = free_port()
        env = {"PLEXBOOKS_DATA_DIR": str(tmp / "data"), "PLEXBOOKS_API_KEY": API_KEY,
               "PLEXBOOKS_PORT": str(self.port), "PLEXBOOKS_WEB_WORKERS": "1", "PLEXBOOKS_PLEXTV_URL": self.plextv.url,
               "PLEXBOOKS_PLEX_AUTH_URL": self.plextv.auth_url, "PLEXBOOKS_SCAN_PAGE_SIZE": "25",
               "PLEXBOOKS_SCAN_DETAILS_LIMIT": "40", "PLEXBOOKS_WEBHOOK_SECRET": "browser-secret",
               "PLEXBOOKS_LOG_LEVEL": "INFO"}
        self.proc = Proc(["run"], env, tmp / "run.log")
        self.artifacts = ARTIFACTS / name
        shutil.rmtree(self.artifacts, ignore_errors=True)
        self.artifacts.mkdir(parents=True)

    def site(self) -> Site:
        wait_http(f"http://127.0.0.1:{self.port}/healthz", 60)
        return Site(f"http://127.0.0.1:{self.port}", self.prefix, self.plex, self.plextv, self.proc, self.artifacts)

    def stop(self) -> None:
        self.proc.stop()
        self.plextv.stop()
        self.plex.stop()


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[dict[str, _Started]]:
    """Both servers start at once, so the second boots while the first one's tests run."""
    started: dict[str, _Started] = {}
    try:
        for name in ("root", "ingress"):
            started[name] = _Started(name, tmp_path_factory.mktemp(f"site-{name}"))
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="module", params=["root", "ingress"])
def site(request, servers) -> Site:
    return servers[request.param].site()


@pytest.fixture(scope="module")
def admin_context(browser, site):
    context = site.new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(admin_context, site):
    """The admin's tab; a test fails on console errors or on requests that lost the prefix."""
    before = len(site.violations)
    page = admin_context.new_page()
    yield page
    page.close()
    assert site.violations[before:] == []
