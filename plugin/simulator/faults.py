"""Injected faults: rules that make chosen Plex API requests fail the way real servers and
networks do (401, 5xx, broken XML, missing ``totalSize``, listings shorter than their
``totalSize``, cut connections, slowness, answers cut short or empty)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from .render import XML_DECL, XML_TYPE, Answer, html_error

FAILURE_MODES = ("unauthorized", "error500", "error503", "malformed_xml", "no_total_size",
                 "drop_connection", "slow", "truncated", "empty", "short_page")


@dataclass(slots=True)
class Failure:
    """One rule: ``mode`` on the requests under ``path`` (all when None), after ``after``."""

    mode: str
    count: int | None
    path: str | None
    after: int
    seconds: float
    seen: int = 0
    fired: int = 0

    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


class Failures:
    """Injected faults: each rule skips its first ``after`` matching requests, then
    fires on the next ``count`` (None: on every one until cleared)."""

    def __init__(self) -> None:
        self._rules: list[Failure] = []
        self._lock = threading.Lock()

    def add(self, rule: Failure) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> Failure | None:
        with self._lock:
            chosen = None
            for rule in self._rules:
                if rule.path and not path.startswith(rule.path):
                    continue
                rule.seen += 1
                if chosen is None and rule.seen > rule.after and not rule.exhausted():
                    rule.fired += 1
                    chosen = rule
            self._rules = [r for r in self._rules if not r.exhausted()]
            return chosen

    def describe(self) -> list[dict]:
        with self._lock:
            return [{"mode": r.mode, "count": r.count, "path": r.path, "after": r.after,
                     "seconds": r.seconds, "seen": r.seen, "fired": r.fired} for r in self._rules]



def make_rule(mode: str, count: int | None = None, *, path: str | None = None, after: int = 0,
              seconds: float = 2.0) -> Failure:
    """A validated rule (``SimulatedPlex.set_failure`` documents the modes)."""
    if mode not in FAILURE_MODES:
        raise ValueError(f"mode must be one of {FAILURE_MODES}")
    if count is not None and int(count) < 1:
        raise ValueError("count must be >= 1 or None")
    return Failure(mode, None if count is None else int(count), path, max(0, int(after)),
                   float(seconds))


@dataclass(slots=True)
class Effects:
    """What a fired rule changes in an answer that is still given normally."""

    drop: bool = False  # send part of the body, then cut the connection
    no_total_size: bool = False  # listings without totalSize
    truncate: bool = False  # a complete HTTP answer whose body stops halfway (Content-Length agrees)
    short_page: bool = False  # listings with half their page, totalSize unchanged


_MALFORMED = (XML_DECL + b'<MediaContainer size="2" totalSize="2" '
              b'identifier="com.plexapp.plugins.library">\n<Directory ratingKey="1'
              b'" title="Broken & <unclosed')


def apply(rule: Failure | None, stopping: threading.Event) -> Effects:
    """Apply a fired rule: raises ``Answer`` when it replaces the answer, else says how the
    normal answer is altered (``slow`` waits first, cut short by ``stopping``)."""
    effects = Effects()
    if rule is None:
        return effects
    mode = rule.mode
    if mode == "slow":
        stopping.wait(min(rule.seconds, 300.0))
    elif mode == "no_total_size":
        effects.no_total_size = True
    elif mode == "drop_connection":
        effects.drop = True
    elif mode == "short_page":
        effects.short_page = True
    elif mode == "unauthorized":
        raise Answer(401, html_error(401))
    elif mode == "error500":
        raise Answer(500, html_error(500))
    elif mode == "error503":
        raise Answer(503, html_error(503))
    elif mode == "malformed_xml":
        raise Answer(200, _MALFORMED, XML_TYPE)
    elif mode == "truncated":
        effects.truncate = True
    elif mode == "empty":
        raise Answer(200, b"", XML_TYPE)
    return effects
