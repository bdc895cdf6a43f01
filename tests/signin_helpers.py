"""Signing in through the real flow, for tests: plexbooks <-> simulated plex.tv over HTTP."""
from __future__ import annotations

from typing import Any

import requests


def start_pin(client) -> dict[str, Any]:
    response = client.post("/api/v1/auth/plex/pins")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def approve(tv, pin_id: int, username: str) -> None:
    """The user presses "Sign in" on plex.tv (the control API does what the auth page does)."""
    answer = requests.post(f"{tv.url}/_simulator/pins/{pin_id}/claim", json={"username": username}, timeout=5)
    assert answer.status_code == 200, answer.text


def sign_in(app, tv, username: str):
    """A test client signed in as the simulated account ``username``; returns (client, csrf, user)."""
    client = app.test_client()
    pin = start_pin(client)
    approve(tv, pin["id"], username)
    response = client.post(f"/api/v1/auth/plex/pins/{pin['id']}/claim")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return client, body["csrf_token"], body["user"]


def sign_in_local(app, username: str, password: str):
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return client, body["csrf_token"], body["user"]
