"""One table from failure to what each shell makes of it: the HTTP status the API answers,
the ``error_class`` a job run records, and the exit code of the command line.

=========================  ==============  =========  ====  =========================
failure                    error class     HTTP       exit  why
=========================  ==============  =========  ====  =========================
``NotConfigured``          not_configured  409        2     the admin has to act
``SettingError``           invalid_settings 422       2     the admin has to act
``SecretKeyError``         secret_key      500        2     the key cannot decrypt
``PlexUnauthorized``       plex_unauthorized 502      1     Plex refused our token
``PlexError`` retryable    its code        503        1     Plex down/5xx: try later
``PlexError`` otherwise    its code        502        1     Plex answered nonsense
database failing           database_full,  503        1     disk full, locked past
                           _locked, ...                     the busy timeout, gone
anything else              internal_error  500        1     a bug; logged with trace
=========================  ==============  =========  ====  =========================

The web layer adds its own request errors (400, 401, 404, 413, 415) on top; the codes
here are only for failures that reach a shell from the core.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from plugin.db import database_failure
from plugin.plex import PlexError, PlexUnauthorized
from plugin.runtime import NotConfigured
from plugin.secrets_store import SecretKeyError
from plugin.settings import SettingError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Kind:
    code: str
    http_status: int
    exit_code: int
    expected: bool          # False: a bug, logged with its traceback
    message: str | None = None   # a plain explanation to show instead of the exception's text


def classify(exc: BaseException) -> Kind:
    """What a failure means to the API, the job runs and the command line."""
    if isinstance(exc, NotConfigured):
        return Kind("not_configured", 409, EXIT_USAGE, True)
    if isinstance(exc, SettingError):
        return Kind("invalid_settings", 422, EXIT_USAGE, True)
    if isinstance(exc, SecretKeyError):
        return Kind("secret_key", 500, EXIT_USAGE, True)
    if isinstance(exc, PlexError):
        status = 503 if exc.retryable and not isinstance(exc, PlexUnauthorized) else 502
        return Kind(exc.code, status, EXIT_FAILED, True)
    failure = database_failure(exc)
    if failure is not None:
        return Kind(failure[0], 503, EXIT_FAILED, True, failure[1])
    return Kind("internal_error", 500, EXIT_FAILED, False)


def exit_code_for(error_class: str | None) -> int:
    """The exit code of a job run that ended with ``error_class`` (None: it succeeded)."""
    if error_class is None:
        return EXIT_OK
    return EXIT_USAGE if error_class in ("not_configured", "invalid_settings", "secret_key") else EXIT_FAILED


def log_failure(logger: logging.Logger, what: str) -> None:
    """Log the exception being handled by a loop that goes on: a condition (the database away,
    full or locked; Plex down) as one plain warning, a bug with its traceback."""
    current = sys.exc_info()[1]
    kind = classify(current) if current is not None else None
    if kind is not None and kind.expected:
        logger.warning("%s: %s (%s)", what, kind.message or current, kind.code)
    else:
        logger.exception("%s", what)
