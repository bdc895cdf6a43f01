"""Refresh after import: the download pipeline filled a folder; ask Plex to scan just it.

The path is mapped first (``path_mappings``: the pipeline and Plex may mount the same
files at different places, like the *arr apps' remote path mappings), then must lie inside
the ``Location`` of one configured section, without ``..``. Plex then announces the new
albums through the real-time path (webhook, websocket). When neither has ever worked here,
``FollowUpPolls`` makes the worker run the recently-added poll a few times after the
refresh (``refresh_poll_seconds``): bounded, and only when nothing else would notice.
"""
from __future__ import annotations

import json
import posixpath
import time
from dataclasses import dataclass
from typing import Any, Iterable

from plugin import state
from plugin.plex import LibrarySection, PlexClient
from plugin.runtime import NotConfigured, Runtime

STATE_REFRESHES = "state.refreshes"
KEEP = 20
MAX_PATH = 4096


class PathRefused(ValueError):
    """The path is not one plexbooks may ask Plex to scan; ``fields`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.fields = {"path": message}


def check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.strip():
        raise PathRefused("required: the folder the pipeline filled, e.g. /audiobooks/Author/Book")
    path = path.strip()
    if len(path) > MAX_PATH or "\x00" in path:
        raise PathRefused(f"at most {MAX_PATH} characters, no NUL")
    if not path.startswith("/"):
        raise PathRefused("must be an absolute path")
    if ".." in path.split("/"):
        raise PathRefused("must not contain .. (it would escape the library folder)")
    return posixpath.normpath(path)


def map_path(path: str, mappings: Iterable[str]) -> str:
    """Apply the longest matching ``pipeline_prefix=plex_prefix`` mapping."""
    best: tuple[str, str] | None = None
    for pair in mappings:
        source, _, target = pair.partition("=")
        source, target = source.strip().rstrip("/") or "/", target.strip().rstrip("/") or "/"
        if _inside(path, source) and (best is None or len(source) > len(best[0])):
            best = (source, target)
    if best is None:
        return path
    rest = path[len(best[0]):].lstrip("/")
    return posixpath.join(best[1], rest) if rest else best[1]


def _inside(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder if folder == "/" else folder + "/")


def find_section(sections: list[LibrarySection], configured: Iterable[str], path: str) -> LibrarySection:
    wanted = set(configured)
    for section in sections:
        if section.key in wanted and any(_inside(path, loc) for loc in section.locations if loc):
            return section
    raise PathRefused("the path is in no configured library section's folder (after path_mappings)")


@dataclass(frozen=True)
class Refresh:
    """A checked refresh: which section, which folder as Plex sees it."""

    client: PlexClient
    section_key: str
    path: str
    plex_path: str

    def send(self, runtime: Runtime) -> dict[str, Any]:
        """Ask Plex to scan the folder, and note it for the follow-up polls."""
        self.client.refresh(self.section_key, self.plex_path)
        note_refresh(runtime)
        return {"section_id": self.section_key, "path": self.path, "plex_path": self.plex_path,
                "refreshing": True}


def plan_refresh(runtime: Runtime, path: Any) -> Refresh:
    """Check the path against the configured sections' folders (PathRefused when it may not be scanned)."""
    checked = check_path(path)
    config = runtime.config()
    if not config.plex_library:
        raise NotConfigured({"plex_library": "not configured"})
    plex_path = map_path(checked, config.path_mappings)
    client = runtime.plex(config)
    section = find_section(client.sections(), config.plex_library, plex_path)
    return Refresh(client, section.key, checked, plex_path)


def refresh_folder(runtime: Runtime, path: Any) -> dict[str, Any]:
    return plan_refresh(runtime, path).send(runtime)


def note_refresh(runtime: Runtime, at: float | None = None) -> None:
    raw = state.get(runtime, STATE_REFRESHES)
    times = json.loads(raw) if raw else []
    times = (times + [at if at is not None else time.time()])[-KEEP:]
    state.put(runtime, STATE_REFRESHES, json.dumps(times))


class FollowUpPolls:
    """Decides, in the worker, when a refresh needs a recently-added poll.

    Each refresh gets at most one poll per configured delay; polls due together are one."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._done: set[tuple[float, float]] = set()

    def due(self, now: float, realtime_works: Any) -> bool:
        raw = state.get(self.runtime, STATE_REFRESHES)
        if not raw:
            return False
        delays = [float(d) for d in self.runtime.config(max_age=5.0).refresh_poll_seconds]
        due = [(at, d) for at in json.loads(raw) for d in delays
               if at + d <= now and (at, d) not in self._done and now - at < max(delays, default=0) + 60]
        self._done = {done for done in self._done if now - done[0] < max(delays, default=0) + 120}
        if not due:
            return False
        self._done.update(due)
        return not realtime_works()
