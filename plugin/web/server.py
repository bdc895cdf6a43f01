"""`plexbooks serve`: the Flask app under gunicorn."""
from __future__ import annotations

import logging
import os

from gunicorn.app.base import BaseApplication

from plugin.runtime import Runtime

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, runtime: Runtime):
        self.options = options
        self.runtime = runtime
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from plugin.web import create_app
        return create_app(Runtime(self.runtime.environ), {"STARTED_BY_SERVE": True})


def _quick_exit_when_stopped(_arbiter, worker) -> None:
    """A web worker told to stop has served its last request: end it without the interpreter's
    teardown, which takes a second or more on a busy host and holds up every stop. A worker that
    failed to boot (still ``alive``) exits the normal way, so gunicorn sees its error code."""
    if not worker.alive:
        logging.shutdown()
        os._exit(0)


def serve(runtime: Runtime) -> int:
    config = runtime.config()
    # Once, before forking: the workers do not race to generate an API key, find the env admin in
    # place, and the setup code is in the log once.
    from plugin.web import import_views, start_up
    start_up(runtime)
    runtime.dispose()
    # The app's modules are imported once here and every worker forks with them in place (each
    # would spend a second of CPU importing them itself); the app is still made in each worker.
    import_views()
    # threaded workers: browsers open connections ahead of need (preconnects) and keep them idle;
    # a sync worker would sit on such a socket while real requests wait behind it
    options = {"bind": f"{config.host}:{config.port}", "workers": config.web_workers,
               "worker_class": "gthread", "threads": config.web_threads, "keepalive": 5, "timeout": 60,
               "accesslog": None, "loglevel": config.log_level.lower(),
               # no control socket: it would be written under $HOME (the data volume in the container)
               # and its shutdown holds a stop up by seconds
               "control_socket_disable": True, "worker_exit": _quick_exit_when_stopped,
               # the longest request line gunicorn allows: longer URLs than its default 4094 get the
               # app's own 400 with a JSON error (a query field too long), not gunicorn's HTML 414
               "limit_request_line": 8190}
    log.info("plexbooks web listening on http://%s:%s", config.host, config.port)
    _Gunicorn(options, runtime).run()
    return 0
