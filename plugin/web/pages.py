"""The pages: Jinja shells whose small scripts call the JSON API.

Who may see a page is decided here, before anything is rendered: nobody is admin yet →
the first-run page; not signed in → sign-in; a requester sees the library, their own
requests and ratings; an admin everything. Every link and redirect goes through
``url_for``, so it carries the path prefix (see ``plugin/web/prefix.py``).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from plugin import accounts, setup
from plugin.settings import BY_NAME, SETTINGS, Setting
from plugin.web.auth import COOKIE
from plugin.web.spec import declare

bp = Blueprint("pages", __name__)
HTML = {200: ("text/html", {"type": "string"}), 302: None, 303: None}
ADMIN_NAV = (("pages.dashboard", "Dashboard"), ("pages.library", "Library"), ("pages.requests", "Requests"),
             ("pages.settings", "Settings"), ("pages.users", "Users"))
USER_NAV = (("pages.library", "Library"), ("pages.requests", "My requests"), ("pages.ratings", "My ratings"))


def _viewer() -> accounts.SessionInfo | None:
    cookie = request.cookies.get(COOKIE)
    return accounts.session_for(current_app.extensions["plexbooks"], cookie) if cookie else None


def _page(template: str, *, role: str = "user", **context: Any):
    runtime = current_app.extensions["plexbooks"]
    if not setup.admin_exists(runtime):
        return redirect(url_for("pages.first_run"), 303)
    viewer = _viewer()
    if viewer is None:
        return redirect(url_for("pages.sign_in", next=request.script_root + request.full_path.rstrip("?")), 303)
    if role == "admin" and viewer.role != "admin":
        return redirect(url_for("pages.library"), 303)
    nav = ADMIN_NAV if viewer.role == "admin" else USER_NAV
    return render_template(template, viewer=viewer, nav=nav, **context)


@bp.get("/")
@declare("Dashboard page (admin)", auth="none", responses=HTML, tags=("pages",))
def dashboard():
    runtime = current_app.extensions["plexbooks"]
    viewer = _viewer()
    if viewer is not None and viewer.role == "admin":
        config = runtime.config(with_secrets=False)
        if not config.plex_url or not config.plex_library:
            return redirect(url_for("pages.first_run"), 303)
    if viewer is not None and viewer.role != "admin":
        return redirect(url_for("pages.library"), 303)
    return _page("dashboard.html", role="admin")


@bp.get("/sign-in")
@declare("Sign-in page", auth="none", responses=HTML, tags=("pages",))
def sign_in():
    runtime = current_app.extensions["plexbooks"]
    if not setup.admin_exists(runtime):
        return redirect(url_for("pages.first_run"), 303)
    target = request.args.get("next") or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    return render_template("sign_in.html", viewer=None, nav=(), next_path=target,
                           error=request.args.get("sign_in_error"))


@bp.get("/setup")
@declare("First-run page: setup code, Plex connection, library, first scan", auth="none", responses=HTML,
         tags=("pages",))
def first_run():
    runtime = current_app.extensions["plexbooks"]
    needs_admin = not setup.admin_exists(runtime)
    viewer = None if needs_admin else _viewer()
    if not needs_admin and viewer is None:
        return redirect(url_for("pages.sign_in", next=url_for("pages.first_run")), 303)
    if viewer is not None and viewer.role != "admin":
        return redirect(url_for("pages.library"), 303)
    config = runtime.config(with_secrets=False)
    return render_template("setup.html", viewer=viewer, nav=ADMIN_NAV if viewer else (), needs_admin=needs_admin,
                           plex_url=config.plex_url or "", plex_url_source=config.sources.get("plex_url"),
                           token_source=config.sources.get("plex_token"))


# How the settings page groups the one settings table; a setting not named here shows under "Other".
SETTING_GROUPS = (
    ("Plex server", ("plex_url", "plex_token", "plex_library", "plex_verify_tls", "plex_timeout")),
    ("Scans and schedule", ("full_scan_interval_hours", "poll_interval_minutes", "scan_page_size",
                            "scan_details_limit", "recent_overlap_minutes", "scan_subprocess_min_albums")),
    ("Real time", ("public_url", "webhook_secret", "websocket_enabled", "inbox_max_attempts")),
    ("Requests", ("allow_plex_deletion",)),
    ("Sign-in", ("plextv_url", "plex_auth_url", "access_recheck_hours", "session_hours", "admin_username",
                 "admin_password")),
    ("Server and security", ("data_dir", "database_url", "secret_key", "api_key", "host", "port", "web_workers",
                             "web_threads", "metrics_public", "log_level")),
)


def grouped_settings() -> list[tuple[str, list[Setting]]]:
    named = {name for _, names in SETTING_GROUPS for name in names}
    groups = [(title, [BY_NAME[n] for n in names if n in BY_NAME]) for title, names in SETTING_GROUPS]
    other = [s for s in SETTINGS if s.name not in named]
    return [g for g in groups + [("Other", other)] if g[1]]


@bp.get("/settings")
@declare("Settings page (admin)", auth="none", responses=HTML, tags=("pages",))
def settings():
    return _page("settings.html", role="admin", groups=grouped_settings())


@bp.get("/library")
@declare("Library page", auth="none", responses=HTML, tags=("pages",))
def library():
    return _page("library.html")


@bp.get("/requests")
@declare("Requests page", auth="none", responses=HTML, tags=("pages",))
def requests():
    return _page("requests.html")


@bp.get("/requests/<int:request_id>")
@declare("One request: the match explanation, candidates, near-miss review", auth="none", responses=HTML,
         tags=("pages",))
def request_detail(request_id: int):
    return _page("request.html", request_id=request_id)


@bp.get("/ratings")
@declare("The signed-in user's own Plex ratings", auth="none", responses=HTML, tags=("pages",))
def ratings():
    return _page("ratings.html")


@bp.get("/users")
@declare("Users page (admin)", auth="none", responses=HTML, tags=("pages",))
def users():
    return _page("users.html", role="admin")
