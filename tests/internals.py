"""The few internal names the reliability tests call directly, imported in one place so a
module that moves is fixed here once. Everything else those tests do goes through the
outside: the HTTP API, the CLI, worker processes and the simulator's fault API."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from plugin.asin import asin_from_guid, asins_from_path, normalize_asin
from plugin.cli import main as cli_main
from plugin.inbox import InboxProcessor
from plugin.matching import ItemSide, RequestSide, explain
from plugin.matching.people import parse_people
from plugin.matching.text import fold
from plugin.matching.titles import parse_title
from plugin.models import InboxEvent, utcnow
from plugin.notifications import NotificationListener
from plugin.plex import PlexClient
from plugin.plex.stream import parse_album_page
from plugin.status import plex_reachability
from plugin.sync import full_scan, recent_poll

__all__ = ["InboxProcessor", "ItemSide", "NotificationListener", "PlexClient", "RequestSide", "asin_from_guid",
           "asins_from_path", "cli_main", "explain", "fold", "full_scan", "make_due", "normalize_asin",
           "parse_album_page", "parse_people", "parse_title", "plex_reachability", "recent_poll"]


def make_due(runtime) -> None:
    """Every inbox event due now (as if its backoff had passed)."""
    with runtime.session() as s:
        s.execute(update(InboxEvent).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
