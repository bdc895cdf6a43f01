"""Files placed on the simulated server's disk that Plex does not know yet.

A download pipeline fills ``/audiobooks/Author/Book [ASIN]/`` and then asks Plex to look
(``GET /library/sections/{id}/refresh?path=<folder>``, Plex's partial scan). Until that
refresh the books are only here; the refresh turns each placed folder under the path into
an album, announced like any new album (``library.new`` webhook, timeline events). A
refresh without a path scans the whole section, so it picks up every placed folder.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Sequence

from .catalogue import ASIN_IN_FOLDER, ASIN_NOWHERE, ASIN_SOURCES

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_PATH = 1024


@dataclass(slots=True)
class PlacedFolder:
    """One book's folder on disk: what a scan of it will find."""

    section_id: int
    path: str  # normalised: no trailing "/"
    title: str
    author: str
    narrator: str | None = None
    asin: str | None = None
    asin_source: str = ASIN_NOWHERE
    tracks: int | Sequence | None = None

    def album_args(self) -> dict[str, Any]:
        """``SimulatedPlex.add_album`` keyword arguments for this folder."""
        return {"title": self.title, "author": self.author, "narrator": self.narrator,
                "asin": self.asin, "asin_source": self.asin_source, "tracks": self.tracks,
                "folder": self.path}

    def json(self) -> dict[str, Any]:
        return {"section_id": self.section_id, "path": self.path, "title": self.title,
                "author": self.author, "narrator": self.narrator, "asin": self.asin,
                "asin_source": self.asin_source}


def normalise(path: str, root: str) -> str:
    """*path* as an absolute folder inside *root*, without a trailing ``/``.

    Raises ValueError for a path outside the root, the root itself, a relative path or
    one that climbs (``..``), control characters or an overlong path.
    """
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a non-empty string")
    if len(path) > _MAX_PATH or _CONTROL.search(path):
        raise ValueError("path must be at most 1024 printable characters")
    clean = path.rstrip("/")
    parts = clean.split("/")
    if not clean.startswith("/") or any(p in ("", ".", "..") for p in parts[1:]):
        raise ValueError("path must be absolute, without empty, '.' or '..' parts")
    root = root.rstrip("/")
    if not clean.startswith(root + "/"):
        raise ValueError(f"path must be inside the section's folder {root}")
    return clean


def under(path: str, prefix: str) -> bool:
    """True when *path* is *prefix* or inside it (whole path parts only)."""
    return path == prefix or path.startswith(prefix + "/")


class Disk:
    """Placed folders per section, waiting for a scan (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folders: dict[str, PlacedFolder] = {}

    def place(self, folder: PlacedFolder) -> PlacedFolder:
        with self._lock:
            if any(under(folder.path, p) or under(p, folder.path) for p in self._folders):
                raise FileExistsError(folder.path)
            self._folders[folder.path] = folder
            return folder

    def take(self, section_id: int, path: str | None) -> list[PlacedFolder]:
        """Remove and return the folders of the section under *path* (all when None)."""
        with self._lock:
            chosen = [f for f in self._folders.values() if f.section_id == section_id
                      and (path is None or under(f.path, path))]
            for f in chosen:
                del self._folders[f.path]
        return sorted(chosen, key=lambda f: f.path)

    def pending(self) -> list[PlacedFolder]:
        with self._lock:
            return sorted(self._folders.values(), key=lambda f: f.path)


def asin_source_for(path: str, asin: str | None, asked: str | None) -> str:
    """Where the book's ASIN shows: as asked, else in the folder name when it is there."""
    if asked is not None:
        if asked not in ASIN_SOURCES:
            raise ValueError(f"asin_source must be one of {list(ASIN_SOURCES)}")
        return asked
    if asin and f"[{asin.upper()}]" in path.upper():
        return ASIN_IN_FOLDER
    return ASIN_NOWHERE
