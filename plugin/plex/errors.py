"""What can go wrong talking to Plex, as five kinds with one meaning each.

========================  =========================================  =========
error                     raised for                                 retry?
========================  =========================================  =========
``PlexUnreachable``       connection refused/reset/dropped, timeout  yes
``PlexTLSError``          certificate or TLS handshake failure       no
``PlexUnauthorized``      401 (token wrong or revoked)               no
``PlexNotFound``          404                                        no
``PlexBadResponse``       other statuses, XML still malformed after  5xx only
                          cleaning, missing ``totalSize``
========================  =========================================  =========

``translated`` is the one place where requests, plexapi and XML failures become these.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
import xml.parsers.expat as expat
from contextlib import contextmanager
from typing import Iterator

import requests

from plugin import metrics
from plugin.redaction import REDACTOR


class PlexError(Exception):
    """Base of every Plex failure. ``code`` is machine-readable; messages never carry tokens."""

    code = "plex_error"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(REDACTOR.redact(message))
        self.status = status
        metrics.record_plex_error(self.code)


class PlexUnreachable(PlexError):
    code = "plex_unreachable"
    retryable = True


class PlexTLSError(PlexError):
    code = "plex_tls_error"


class PlexUnauthorized(PlexError):
    code = "plex_unauthorized"


class PlexNotFound(PlexError):
    code = "plex_not_found"


class PlexBadResponse(PlexError):
    code = "plex_bad_response"

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message, status=status)
        self.retryable = status is not None and status >= 500


def status_error(status: int, what: str) -> PlexError:
    if status == 401:
        return PlexUnauthorized(f"Plex refused the token (401) for {what}", status=401)
    if status == 404:
        return PlexNotFound(f"Plex has no {what} (404)", status=404)
    return PlexBadResponse(f"Plex answered {status} for {what}", status=status)


def _status_from_message(message: str) -> int | None:
    # plexapi formats its errors as "(500) internal_server_error; url ..."
    if message.startswith("(") and ")" in message:
        try:
            return int(message[1:message.index(")")])
        except ValueError:
            return None
    return None


@contextmanager
def translated(what: str) -> Iterator[None]:
    """The one mapping from requests/plexapi/XML failures to PlexError kinds."""
    try:
        yield
    except PlexError:
        raise
    except requests.exceptions.SSLError as exc:
        raise PlexTLSError(f"TLS failure talking to Plex for {what}: {type(exc).__name__}") from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError) as exc:
        raise PlexUnreachable(f"Plex unreachable for {what}: {type(exc).__name__}") from None
    except (ET.ParseError, expat.ExpatError) as exc:
        raise PlexBadResponse(f"Plex sent malformed XML for {what}: {exc}") from None
    except requests.exceptions.RequestException as exc:
        raise PlexUnreachable(f"request to Plex failed for {what}: {type(exc).__name__}") from None
    except Exception as exc:
        mapped = _plexapi_error(exc, what)
        if mapped is None:
            raise
        raise mapped from None


def _plexapi_error(exc: Exception, what: str) -> PlexError | None:
    """The kind of a python-plexapi failure (None for anything else). Its exception classes are
    looked up only where plexapi is loaded: a process that never connected cannot raise them."""
    plex_exc = sys.modules.get("plexapi.exceptions")
    if plex_exc is None or not isinstance(exc, plex_exc.PlexApiException):
        return None
    if isinstance(exc, plex_exc.Unauthorized):
        return status_error(401, what)
    if isinstance(exc, plex_exc.NotFound):
        return status_error(404, what)
    if isinstance(exc, plex_exc.BadRequest):
        return status_error(_status_from_message(str(exc)) or 400, what)
    return None
