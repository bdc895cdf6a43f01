"""The web process: a Flask app factory. It only answers requests; jobs run in the worker."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask

from plugin.runtime import Runtime

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def create_app(runtime: Runtime | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    runtime = runtime or Runtime()
    app.extensions["plexbooks"] = runtime
    generated = runtime.ensure_api_key()
    if generated:
        log.warning("Generated the admin API key (shown once, store it now): %s", generated)

    from plugin.web import errors, validation
    errors.register(app)
    validation.register(app)

    from plugin.web import api_jobs, api_library, api_requests, api_status, health
    from webhooks import bp as webhooks_bp
    for blueprint in (health.bp, api_status.bp, api_library.bp, api_requests.bp, api_jobs.bp, webhooks_bp):
        app.register_blueprint(blueprint)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["plexbooks"]
