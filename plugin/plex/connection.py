"""python-plexapi's server object, sending plexbooks' identity: the one place plexapi's
server is imported, when a client first connects (``PlexClient._connect``). Listing child
processes never connect this way, so they never pay for importing plexapi."""
from __future__ import annotations

import os

# plexapi reads its configuration when imported; keep a stray config file or
# environment from turning silent per-item reloads back on.
os.environ.setdefault("PLEXAPI_PLEXAPI_AUTORELOAD", "false")

import requests  # noqa: E402
from plexapi.server import PlexServer  # noqa: E402


class Server(PlexServer):
    """PlexServer sending plexbooks' identity instead of plexapi's import-time globals."""

    def __init__(self, baseurl: str, token: str, *, identity: dict[str, str],
                 session: requests.Session, timeout: float):
        self._plexbooks_identity = identity
        super().__init__(baseurl, token, session=session, timeout=timeout)

    def _headers(self, **kwargs: str) -> dict[str, str]:
        headers = dict(self._plexbooks_identity)
        if self._token:
            headers["X-Plex-Token"] = self._token
        headers.update(kwargs)
        return headers
