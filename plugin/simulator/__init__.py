"""A simulated Plex Media Server with a seedable sample audiobook library.

``catalogue`` builds the library (``build_catalogue``), ``server`` serves it over HTTP like a
real Plex (``SimulatedPlex``, ``main`` for ``plexbooks simulate``), ``websocket`` carries the
timeline notifications. ``SimulatedPlex`` and ``main`` are imported lazily so that running
``python -m plugin.simulator.server`` does not import the module twice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalogue import Album, Artist, Catalogue, Track, build_catalogue

if TYPE_CHECKING:
    from .server import SimulatedPlex, main

__all__ = ["Album", "Artist", "Catalogue", "SimulatedPlex", "Track", "build_catalogue", "main"]


def __getattr__(name: str) -> Any:
    if name in ("SimulatedPlex", "main"):
        from . import server
        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
