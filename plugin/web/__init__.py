"""The web process: a Flask app factory. It only answers requests; jobs run in the worker."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Blueprint, Flask
from werkzeug.routing import IntegerConverter

from plugin import state
from plugin.runtime import Runtime

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
MAX_ID = 2**31 - 1          # ids are INTEGER columns: PostgreSQL stops at 2^31 - 1


class BoundedInt(IntegerConverter):
    """``<int:...>`` path parts no larger than any id a database holds: a 30-digit id is a
    404 like any other unknown one, not an overflow deep in the driver."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def create_app(runtime: Runtime | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.url_map.converters["int"] = BoundedInt
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    runtime = runtime or Runtime()
    app.extensions["plexbooks"] = runtime
    if not app.config.get("STARTED_BY_SERVE"):    # `plexbooks serve` did it once, before forking its workers
        start_up(runtime)

    from plugin.web import errors, validation
    errors.register(app)
    validation.register(app)
    for blueprint in import_views():
        app.register_blueprint(blueprint)
    from plugin.web import api_auth
    api_auth.init_app(app)
    from plugin.web.prefix import PrefixMiddleware
    app.wsgi_app = PrefixMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


def start_up(runtime: Runtime) -> None:
    """What a web process does once before it answers: an API key exists (a new one is shown once),
    the admin the environment names exists, and the first-run setup code is in the log."""
    generated = state.ensure_api_key(runtime)
    if generated:
        log.warning("Generated the admin API key (shown once, store it now): %s", generated)
    from plugin.accounts import ensure_env_admin
    ensure_env_admin(runtime)
    from plugin import setup
    setup.announce(runtime)


def import_views() -> list[Blueprint]:
    """Every blueprint of the app, in the order they are registered. Importing them is most of
    the cost of making an app: ``plexbooks serve`` calls this once before forking its workers."""
    from plugin.web import (
        api_auth,
        api_jobs,
        api_library,
        api_notifications,
        api_requests,
        api_setup,
        api_status,
        api_users,
        covers,
        health,
        metrics_view,
        openapi,
        pages,
    )
    from webhooks import bp as webhooks_bp
    return [health.bp, api_status.bp, api_library.bp, api_requests.bp, api_jobs.bp, api_notifications.bp,
            webhooks_bp, metrics_view.bp, openapi.bp, api_auth.bp, api_users.bp, api_setup.bp, covers.bp,
            pages.bp]


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["plexbooks"]
