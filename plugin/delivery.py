"""Sending the outbox: the worker's delivery loop.

Each target is tried in order of its events, one at a time. A failure stops that target's
turn and backs it off (``notification_retry_base_seconds`` doubling up to
``notification_max_backoff_seconds``); ``notification_max_failures`` failures in a row pause
it. An event stays pending until its target answered 2xx, so a crash or kill -9 between the
commit and the answer only means it is sent again, with the same ``webhook-id``:
at-least-once, de-duplicated by the receiver.

Webhooks are signed with Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``); the timestamp is the time of each attempt, so a late retry is
still inside a receiver's tolerance. Redirects are never followed and the target's host
is checked again before every turn (DNS may have changed since the target was saved).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from sqlalchemy import delete, exists, or_, select, update
from standardwebhooks.webhooks import Webhook

from plugin.errors import log_failure
from plugin.models import NotificationTarget, OutboxMessage, table, utcnow
from plugin.notification_targets import apprise_plugin, check_url
from plugin.runtime import Runtime
from plugin.redaction import REDACTOR
from plugin.settings import Config
from plugin.templates import render
from plugin.urlcheck import UrlRefused

log = logging.getLogger(__name__)
TARGETS = table(NotificationTarget)
OUTBOX = table(OutboxMessage)
BATCH = 50
PRUNE_EVERY_S = 3600.0
USER_AGENT = "plexbooks-webhooks/1"


class DeliveryFailed(Exception):
    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


def backoff(failures: int, base: float, cap: float) -> float:
    return min(base * 2 ** max(failures - 1, 0), cap)


def body_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def send_webhook(url: str, secret: str, message: OutboxMessage | Any, timeout: float,
                 session: requests.Session) -> int:
    body = body_text(message.payload)
    now = datetime.now(timezone.utc)     # the library reads the time as UTC whatever its zone
    signature = Webhook(secret).sign(message.webhook_id, now, body)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": message.webhook_id,
               "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    try:
        response = session.post(url, data=body.encode(), headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: could not reach the target") from None
    response.close()
    if 300 <= response.status_code < 400:
        raise DeliveryFailed(f"HTTP {response.status_code}: redirects are not followed", response.status_code)
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)
    return response.status_code


def send_apprise(url: str, target: Any, message: Any, config: Config) -> None:
    import apprise
    plugin = apprise_plugin(url)
    if plugin is None:
        raise DeliveryFailed("Apprise does not know this URL")
    data = message.payload.get("data") or {}
    title = render(target.title_template or config.notification_title_template, message.event_type, data)
    body = render(target.body_template or config.notification_body_template, message.event_type, data)
    notifier = apprise.Apprise()
    notifier.add(plugin)
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(body=body, title=title)
    if not ok:
        detail = REDACTOR.redact(captured.getvalue().strip().splitlines()[-1] if captured.getvalue().strip() else "")
        raise DeliveryFailed(f"Apprise could not deliver{': ' + detail if detail else ''}"[:500])


class Deliverer:
    """Delivers due outbox rows; ``run_once`` is one turn, ``start`` runs it on a thread."""

    def __init__(self, runtime: Runtime, *, idle_wait: float = 0.2, workers: int = 4):
        self.runtime = runtime
        self.idle_wait = idle_wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver")
        self._local = threading.local()

    # -- thread ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="outbox-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        last_prune = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_prune > PRUNE_EVERY_S:
                    last_prune = time.monotonic()
                    self.prune()
                sent = self.run_once()
            except Exception:  # noqa: BLE001 - the loop must survive anything
                log_failure(log, "notifications: delivery turn failed")
                sent = 0
            if not sent:
                self._stop.wait(self.idle_wait)

    def prune(self, now: datetime | None = None) -> int:
        """Drop delivered events older than ``notification_log_days`` from the log."""
        cutoff = (now or utcnow()) - timedelta(days=self.runtime.config(max_age=60).notification_log_days)
        with self.runtime.engine.begin() as conn:
            return conn.execute(delete(OUTBOX).where(OUTBOX.c.status == "delivered",
                                                     OUTBOX.c.delivered_at < cutoff)).rowcount or 0

    # -- one turn ---------------------------------------------------------------------------
    def due_targets(self, now: datetime) -> list[Any]:
        pending = exists().where(OUTBOX.c.target_id == TARGETS.c.id, OUTBOX.c.status == "pending")
        with self.runtime.engine.connect() as conn:
            return list(conn.execute(select(TARGETS).where(
                TARGETS.c.enabled.is_(True), TARGETS.c.paused_at.is_(None),
                or_(TARGETS.c.next_attempt_at.is_(None), TARGETS.c.next_attempt_at <= now), pending)).all())

    def run_once(self) -> int:
        """Deliver what is due now; returns the number of events delivered."""
        now = utcnow()
        targets = self.due_targets(now)
        if not targets:
            return 0
        config = self.runtime.config(max_age=2.0)
        return sum(self._pool.map(lambda t: self._deliver_target(t, config), targets))

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False          # no proxy from the environment for targets we checked
        return session

    def _deliver_target(self, target: Any, config: Config) -> int:
        url, _ = self.runtime.vault.decrypt(target.url)
        secret = self.runtime.vault.decrypt(target.secret)[0] if target.secret else None
        REDACTOR.add(url)
        REDACTOR.add(secret)
        with self.runtime.engine.connect() as conn:
            messages = conn.execute(select(OUTBOX).where(OUTBOX.c.target_id == target.id,
                                                         OUTBOX.c.status == "pending")
                                    .order_by(OUTBOX.c.id).limit(BATCH)).all()
        delivered = 0
        try:
            check_url(target.kind, url, config.plex_url, list(config.notification_allowed_hosts))
        except UrlRefused as exc:
            if messages:
                self._failed(target, messages[0], config, f"refused: {exc}", None)
            return 0
        for message in messages:
            if self._stop.is_set():
                break
            try:
                if target.kind == "webhook":
                    code: int | None = send_webhook(url, secret or "", message, config.notification_timeout,
                                                    self._session())
                else:
                    send_apprise(url, target, message, config)
                    code = None
            except DeliveryFailed as exc:
                self._failed(target, message, config, str(exc), exc.status_code)
                break
            except Exception as exc:  # noqa: BLE001 - a broken plugin counts as a failed delivery
                self._failed(target, message, config, f"{type(exc).__name__}", None)
                break
            self._delivered(target, message, code)
            delivered += 1
        return delivered

    def _delivered(self, target: Any, message: Any, code: int | None) -> None:
        now = utcnow()
        with self.runtime.engine.begin() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == message.id).values(
                status="delivered", attempts=OUTBOX.c.attempts + 1, last_attempt_at=now, delivered_at=now,
                last_status_code=code, last_error=None))
            conn.execute(update(TARGETS).where(TARGETS.c.id == target.id).values(
                consecutive_failures=0, next_attempt_at=None, last_success_at=now, last_error=None))

    def _failed(self, target: Any, message: Any, config: Config, error: str, code: int | None) -> None:
        now = utcnow()
        error = REDACTOR.redact(error)[:1000]
        with self.runtime.engine.begin() as conn:
            failures = (conn.execute(select(TARGETS.c.consecutive_failures).where(TARGETS.c.id == target.id))
                        .scalar() or 0) + 1
            delay = backoff(failures, config.notification_retry_base_seconds, config.notification_max_backoff_seconds)
            values: dict[str, Any] = {"consecutive_failures": failures, "last_error": error,
                                      "next_attempt_at": now + timedelta(seconds=delay)}
            if failures >= config.notification_max_failures:
                values["paused_at"] = now
            conn.execute(update(TARGETS).where(TARGETS.c.id == target.id).values(**values))
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == message.id).values(
                attempts=OUTBOX.c.attempts + 1, last_attempt_at=now, last_status_code=code, last_error=error))
        if "paused_at" in values:
            log.warning("notifications: target %s paused after %s failed deliveries in a row: %s",
                        target.id, failures, error)
        else:
            log.info("notifications: target %s: %s; next try in %.0f s", target.id, error, delay)
