"""Logging set-up shared by every command: stderr, one format, secrets redacted."""
from __future__ import annotations

import logging
import sys

from plugin.redaction import install_redaction


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_plexbooks", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._plexbooks = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_redaction()
