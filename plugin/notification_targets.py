"""Notification targets: the rules for creating and changing them, apart from HTTP.

A ``webhook`` target is a URL of the host app that receives Standard Webhooks signed with a
generated ``whsec_`` secret (shown once). An ``apprise`` target is an Apprise URL
(``discord://…``, ``mailto://…``, ``json://…``) that tells a person in words. URLs and
secrets are stored encrypted; URLs that reach arbitrary hosts are checked by
``plugin.urlcheck``.
"""
from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select

from plugin.models import NotificationTarget, OutboxMessage, utcnow
from plugin.outbox import EVENTS
from plugin.runtime import Runtime
from plugin.status import iso
from plugin.templates import check_template
from plugin.urlcheck import UrlRefused, check_host, check_http_url

KINDS = ("webhook", "apprise")
DEFAULT_EVENTS = {"webhook": list(EVENTS), "apprise": ["request.available"]}
# Apprise schemes that post to any host the URL names: they get the same host check as webhooks.
APPRISE_HTTP_SCHEMES = ("json", "jsons", "form", "forms", "xml", "xmls")
FIELDS = ("kind", "url", "events", "enabled", "user", "title_template", "body_template")


class TargetInvalid(ValueError):
    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def apprise_plugin(url: str) -> Any:
    """The Apprise plugin for a URL, redirects off; None when Apprise does not know the URL."""
    import apprise  # imported on use: it loads every notification plugin it has
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is not None:
        plugin.redirects = False
    return plugin


def check_url(kind: str, url: str, plex_url: str | None, allowed_hosts: list[str]) -> None:
    """Raise UrlRefused when the target may not be called."""
    if kind == "webhook":
        check_http_url(url, plex_url, allowed_hosts)
        return
    if len(url) > 2048:
        raise UrlRefused("at most 2048 characters")
    plugin = apprise_plugin(url)
    if plugin is None:
        raise UrlRefused("not an Apprise URL that this version of Apprise knows")
    if url.split(":", 1)[0].lower() in APPRISE_HTTP_SCHEMES:
        check_host(plugin.host or "", plex_url, allowed_hosts)


def shown_url(kind: str, url: str) -> str:
    """The URL as the API shows it: Apprise URLs carry credentials, so Apprise's privacy form."""
    if kind == "apprise":
        plugin = apprise_plugin(url)
        return plugin.url(privacy=True) if plugin is not None else "********"
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:********@{parts.netloc.rsplit('@', 1)[1]}"
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# -- one rule per field: used here and by the API's body models (plugin/web/schemas.py) --------
def check_kind(value: Any) -> str:
    if not isinstance(value, str) or value not in KINDS:
        raise ValueError(f"one of {', '.join(KINDS)}")
    return value


def check_url_text(value: Any) -> str:
    """The URL's shape (whether it may be called is :func:`check_url`'s, with the settings)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def check_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value):
        raise ValueError(f"a non-empty list of: {', '.join(EVENTS)}")
    if unknown := [e for e in value if e not in EVENTS]:
        raise ValueError(f"unknown: {', '.join(unknown)}; known: {', '.join(EVENTS)}")
    return list(dict.fromkeys(value))


def check_enabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def check_user(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 128):
        raise ValueError("a user id of at most 128 characters, or null for everyone")
    return value.strip() if value else None


TEMPLATE_LIMITS = {"title_template": 512, "body_template": 2000}


def check_message_template(value: Any, limit: int) -> str | None:
    """A title or body template's own rules (that only Apprise targets have one is :func:`validate`'s)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"a string of at most {limit} characters")
    return check_template(value)


def validate(runtime: Runtime, body: dict[str, Any], *, current: NotificationTarget | None = None,
             current_url: str | None = None) -> dict[str, Any]:
    """Checked fields (all errors at once) for a new target or a change to ``current``."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def check(name: str, rule: Any, *args: Any) -> bool:
        try:
            out[name] = rule(body[name], *args)
            return True
        except ValueError as exc:
            errors[name] = str(exc)
            return False

    for name in body:
        if name not in FIELDS:
            errors[name] = "unknown field"
    kind = body.get("kind", current.kind if current else "webhook")
    if current is not None and "kind" in body and body["kind"] != current.kind:
        errors["kind"] = "cannot be changed; create a new target"
    elif kind not in KINDS:
        errors["kind"] = f"one of {', '.join(KINDS)}"
    if current is None and not body.get("url"):
        errors["url"] = "required"
    if "url" in body and check("url", check_url_text) and kind in KINDS:
        config = runtime.config()
        try:
            check_url(kind, out["url"], config.plex_url, list(config.notification_allowed_hosts))
        except UrlRefused as exc:
            errors["url"] = str(exc)
    if "events" in body:
        check("events", check_events)
    elif current is None and kind in KINDS:
        out["events"] = list(DEFAULT_EVENTS[kind])
    if "enabled" in body:
        check("enabled", check_enabled)
    if "user" in body:
        check("user", check_user)
    for name, limit in TEMPLATE_LIMITS.items():
        if name not in body:
            continue
        if body[name] is not None and kind != "apprise":
            errors[name] = "only Apprise targets have message text"
        else:
            check(name, check_message_template, limit)
    if errors:
        raise TargetInvalid(errors)
    out["kind"] = kind
    return out


def target_dict(runtime: Runtime, target: NotificationTarget, pending: int = 0) -> dict[str, Any]:
    url, _legacy = runtime.vault.decrypt(target.url)
    return {
        "id": target.id, "kind": target.kind, "url": shown_url(target.kind, url), "events": target.events,
        "enabled": target.enabled, "user": target.user, "paused": target.paused_at is not None,
        "paused_at": iso(target.paused_at), "consecutive_failures": target.consecutive_failures,
        "last_error": target.last_error, "last_success_at": iso(target.last_success_at),
        "next_attempt_at": iso(target.next_attempt_at), "pending": pending,
        "title_template": target.title_template, "body_template": target.body_template,
        "created_at": iso(target.created_at), "updated_at": iso(target.updated_at),
    }


def _pending(s: Any, target_ids: list[int]) -> dict[int, int]:
    if not target_ids:
        return {}
    return dict(s.execute(select(OutboxMessage.target_id, func.count())
                          .where(OutboxMessage.target_id.in_(target_ids), OutboxMessage.status == "pending")
                          .group_by(OutboxMessage.target_id)).all())


def create(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    fields = validate(runtime, body)
    now = utcnow()
    secret = new_secret() if fields["kind"] == "webhook" else None
    with runtime.session() as s:
        target = NotificationTarget(
            kind=fields["kind"], url=runtime.vault.encrypt(fields["url"]),
            secret=runtime.vault.encrypt(secret) if secret else None, events=fields["events"],
            enabled=fields.get("enabled", True), user=fields.get("user"),
            title_template=fields.get("title_template"), body_template=fields.get("body_template"),
            consecutive_failures=0, created_at=now, updated_at=now)
        s.add(target)
        s.flush()
        out = target_dict(runtime, target)
    if secret:
        out["secret"] = secret      # shown this once; stored encrypted
    return out


def listing(runtime: Runtime, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    with runtime.session() as s:
        total = s.scalar(select(func.count()).select_from(NotificationTarget))
        rows = s.scalars(select(NotificationTarget).order_by(NotificationTarget.id).limit(limit).offset(offset)).all()
        pending = _pending(s, [r.id for r in rows])
        return [target_dict(runtime, r, pending.get(r.id, 0)) for r in rows], total


def get(runtime: Runtime, target_id: int) -> dict[str, Any] | None:
    with runtime.session() as s:
        target = s.get(NotificationTarget, target_id)
        return None if target is None else target_dict(runtime, target, _pending(s, [target_id]).get(target_id, 0))


def update(runtime: Runtime, target_id: int, body: dict[str, Any]) -> dict[str, Any] | None:
    with runtime.session() as s:
        target = s.get(NotificationTarget, target_id)
        if target is None:
            return None
        fields = validate(runtime, body, current=target)
        fields.pop("kind")
        if "url" in fields:
            fields["url"] = runtime.vault.encrypt(fields["url"])
        for name, value in fields.items():
            setattr(target, name, value)
        if fields.get("enabled") is True:
            # Enabling a paused target resumes it: its waiting events go out now.
            target.paused_at, target.consecutive_failures, target.next_attempt_at = None, 0, None
        target.updated_at = utcnow()
        s.flush()
        return target_dict(runtime, target, _pending(s, [target_id]).get(target_id, 0))


def delete(runtime: Runtime, target_id: int) -> bool:
    with runtime.session() as s:
        target = s.get(NotificationTarget, target_id)
        if target is None:
            return False
        s.query(OutboxMessage).filter(OutboxMessage.target_id == target_id).delete()
        s.delete(target)
        return True


def delivery_dict(row: OutboxMessage) -> dict[str, Any]:
    return {"id": row.id, "target_id": row.target_id, "event_type": row.event_type, "webhook_id": row.webhook_id,
            "status": row.status, "attempts": row.attempts, "created_at": iso(row.created_at),
            "last_attempt_at": iso(row.last_attempt_at), "delivered_at": iso(row.delivered_at),
            "last_status_code": row.last_status_code, "last_error": row.last_error, "payload": row.payload}


def deliveries(runtime: Runtime, *, target_id: int | None, status: str | None, event_type: str | None,
               limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = select(OutboxMessage)
    if target_id is not None:
        query = query.where(OutboxMessage.target_id == target_id)
    if status:
        query = query.where(OutboxMessage.status == status)
    if event_type:
        query = query.where(OutboxMessage.event_type == event_type)
    with runtime.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).all()
        return [delivery_dict(r) for r in rows], total


def summary(runtime: Runtime) -> dict[str, Any]:
    """For the status API: how many targets, which are paused and why, what is waiting."""
    with runtime.session() as s:
        targets = s.scalars(select(NotificationTarget).order_by(NotificationTarget.id)).all()
        by_status = dict(s.execute(select(OutboxMessage.status, func.count())
                                   .group_by(OutboxMessage.status)).all())
        paused = [{"id": t.id, "kind": t.kind, "paused_at": iso(t.paused_at),
                   "consecutive_failures": t.consecutive_failures, "last_error": t.last_error}
                  for t in targets if t.paused_at is not None]
    return {"targets": len(targets), "enabled": sum(1 for t in targets if t.enabled), "paused": paused,
            "pending": by_status.get("pending", 0), "delivered": by_status.get("delivered", 0)}
