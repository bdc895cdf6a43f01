"""The few internal names the reliability tests call directly, imported in one place so a
module that moves is fixed here once. Everything else those tests do goes through the
outside: the HTTP API, the CLI, worker processes and the simulator's fault API."""
from __future__ import annotations

from plugin.asin import asin_from_guid, asins_from_path, normalize_asin
from plugin.matcher import ItemSide, RequestSide, explain
from plugin.normalize import fold, parse_people, parse_title
from plugin.plex import PlexClient
from plugin.plex.stream import parse_album_page

__all__ = ["ItemSide", "PlexClient", "RequestSide", "asin_from_guid", "asins_from_path", "explain", "fold",
           "normalize_asin", "parse_album_page", "parse_people", "parse_title"]
