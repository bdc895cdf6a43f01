"""A simulated Plex Media Server with a seedable sample audiobook library.

``catalogue`` builds the library (``build_catalogue``; items in ``items``, the container in
``store``, raw material in ``words`` and ``curated``), ``server`` serves it over HTTP like a
real Plex (``SimulatedPlex``, ``main`` for ``plexbooks simulate``) with ``render`` (XML),
``queries`` (filters, sorting, paging), ``routes`` (the Plex API), ``faults``, ``control``
(``/_simulator/``), ``announcer`` (webhooks, timeline), ``httpserver``; ``websocket`` carries
the timeline notifications and ``users`` the accounts. ``SimulatedPlex`` and ``main`` are imported lazily so that running
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
