"""Plex webhook ingestion: ``POST /webhooks/plex/<secret>``.

Plex cannot send headers and does not sign its webhooks, so the secret is in the URL and
compared in constant time, and ``Server.uuid`` must be the configured server. A valid
``library.new`` for a configured section is stored in the durable inbox before the answer
(202 with the event id); the worker does the rest. Anything else valid is acknowledged
(200, ``ignored`` and why) and not stored.
"""
from webhooks.views import bp

__all__ = ["bp"]
