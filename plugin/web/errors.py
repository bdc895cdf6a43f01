"""The one mapping from failures to the JSON error shape:
``{"error": {"code": ..., "message": ..., "fields": {...}}}`` with the matching status."""
from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from plugin.errors import classify
from plugin.plex import PlexError
from plugin.runtime import NotConfigured
from plugin.redaction import REDACTOR
from plugin.settings import SettingError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None,
                 **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.extra = status, code, message, fields, extra


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None,
                   **extra: Any):
    body: dict[str, Any] = {"code": code, "message": REDACTOR.redact(message)}
    if fields:
        body["fields"] = {k: REDACTOR.redact(str(v)) for k, v in fields.items()}
    body.update(extra)
    return jsonify({"error": body}), status


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, _snake(exc.name), exc.description or exc.name)

    @app.errorhandler(SettingError)
    def _setting_error(exc: SettingError):
        kind = classify(exc)
        return error_response(kind.http_status, kind.code, "some settings are not valid", exc.fields)

    @app.errorhandler(NotConfigured)
    def _not_configured(exc: NotConfigured):
        kind = classify(exc)
        return error_response(kind.http_status, kind.code, "plexbooks is not configured for this yet", exc.fields)

    @app.errorhandler(PlexError)
    def _plex_error(exc: PlexError):
        # The token plexbooks holds was refused: that is Plex's answer, not the caller's fault.
        kind = classify(exc)
        return error_response(kind.http_status, kind.code, str(exc))

    @app.errorhandler(DBAPIError)
    def _database(exc: DBAPIError):
        kind = classify(exc)
        if not kind.expected:
            return _unexpected(exc)
        log.warning("database failure answering %s %s: %s", request.method, request.path, kind.message)
        return error_response(kind.http_status, kind.code, kind.message or kind.code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        kind = classify(exc)
        if not kind.expected:
            log.exception("unhandled error")
            return error_response(500, "internal_error", "an internal error occurred; see the log")
        return error_response(kind.http_status, kind.code, str(exc))
