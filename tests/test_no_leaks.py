"""The no-leak watch itself catches what it is meant to catch (and the suite's runs stay clean)."""
from __future__ import annotations

import logging

from plugin.plextv import PlexTVError
from plugin.web.errors import ApiError
from tests import leaks

CANARY = "canary-secret-0123456789"


def _caught() -> list[str]:
    found = list(leaks._found)
    leaks._found.clear()          # the canary is this test's own: the fixture must not fail on it
    return found


def test_a_secret_in_a_log_record_is_caught():
    leaks.track(CANARY)
    logging.getLogger("plugin.anything").info("the token is %s", CANARY)
    assert any("log record of plugin.anything" in f for f in _caught())


def test_a_secret_in_a_response_is_caught(app):
    leaks.track(CANARY)

    @app.get("/leak-for-test")
    def leak():
        return {"token": CANARY}, 200, {"X-Leak": CANARY}

    app.test_client().get("/leak-for-test")
    found = _caught()
    assert any("headers" in f for f in found) and any("body" in f for f in found)


def test_a_secret_in_an_exception_message_is_caught():
    leaks.track(CANARY)
    ApiError(400, "x", f"bad {CANARY}")
    assert any("ApiError message" in f for f in _caught())


def test_plexbooks_redacts_known_tokens_in_its_own_errors():
    from plugin.redaction import REDACTOR
    known = "redacted-canary-9876543210"
    leaks.track(known)
    REDACTOR.add(known)
    assert known not in str(PlexTVError(f"failed with {known}"))
    assert _caught() == []


def test_the_simulators_tokens_are_collected(plex, plextv):
    reader = plextv.users.get("reader")
    assert {plex.token, reader.plextv_token, reader.server_token} <= leaks.SECRETS
