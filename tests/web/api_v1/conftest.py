"""Fixtures of the write API's tests: a token, the call with it, an incident and a maintenance."""

from __future__ import annotations

from typing import Any

import pytest

from statuspage.staff.tokens import create_token
from statuspage.web.api_v1 import PREFIX
from tests.web.api_v1.shared import OPEN, maintenance_body


@pytest.fixture
def token(app) -> str:
    with app.app_context():
        return create_token("ci")


@pytest.fixture
def auth(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(client, auth):
    """Return a function that calls the API with the write token (JSON bodies by default)."""

    def call(method: str, path: str, body: Any = None, **kwargs: Any):
        headers = auth | kwargs.pop("headers", {})
        if body is not None:
            kwargs["json"] = body
        return client.open(PREFIX + path, method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def events(api) -> dict[str, str]:
    """Open one incident and schedule one maintenance; return their codes."""
    incident = api("POST", "/incidents", OPEN)
    maintenance = api("POST", "/maintenances", maintenance_body())
    assert incident.status_code == maintenance.status_code == 201
    return {"incident": incident.json["id"], "maintenance": maintenance.json["id"]}
