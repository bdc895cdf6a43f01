"""Secrets in output: every registered secret, and any X-Plex-Token in a URL, redacted from
log records, exception messages and job errors."""
from __future__ import annotations

import logging
import re
import threading


class RedactingFilter(logging.Filter):
    """Replaces every registered secret, and any X-Plex-Token in a URL, in log records."""

    _token_in_url = re.compile(r"(X-Plex-Token=)[^&\s'\"]+", re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        text = self._token_in_url.sub(r"\1********", text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "********")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(exc_text)
        return True


REDACTOR = RedactingFilter()


def install_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
