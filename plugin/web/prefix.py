"""Serving under a path prefix: Home Assistant's ingress sends ``X-Ingress-Path``, a reverse
proxy ``X-Forwarded-Prefix``. The prefix becomes WSGI's ``SCRIPT_NAME``, so every ``url_for``
(links, forms, scripts, redirects) and the pages' ``fetch`` base carry it."""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

_SAFE = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
HEADERS = ("HTTP_X_INGRESS_PATH", "HTTP_X_FORWARDED_PREFIX")


def clean_prefix(raw: str | None) -> str:
    """A prefix made only of plain path segments, without a trailing slash; anything else is ignored."""
    if not raw:
        return ""
    value = raw.strip().rstrip("/")
    if len(value) > 256 or not _SAFE.match(value) or any(p in (".", "..") for p in value.split("/")):
        return ""
    return value


class PrefixMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for header in HEADERS:
            prefix = clean_prefix(environ.get(header))
            if prefix:
                path = environ.get("PATH_INFO", "")
                if path == prefix or path.startswith(prefix + "/"):   # a proxy that did not strip it
                    environ["PATH_INFO"] = path[len(prefix):] or "/"
                environ["SCRIPT_NAME"] = prefix
                break
        return self.app(environ, start_response)
