"""The write API's bearer tokens and scopes, and why it needs no CSRF token."""

from __future__ import annotations

import pytest

from statuspage.staff.tokens import create_token, revoke_token
from statuspage.store.db import db
from statuspage.store.models import ApiToken
from statuspage.web.api_v1 import PREFIX
from tests.web.api_v1.shared import OPEN, assert_error, db_state


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic Y2k6eA==", "Token sp_x", "Bearer sp_unknown"],
)
def test_requests_without_a_valid_token_get_401(app, client, events, authorization) -> None:
    before = db_state(app)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post(f"{PREFIX}/incidents", json=OPEN, headers=headers)
    assert_error(response, 401, "unauthorized", "Authorization")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"{PREFIX}/incidents/{events['incident']}", headers=headers).status_code == (
        401
    )
    assert db_state(app) == before


def test_revoked_token_gets_401(app, api, token) -> None:
    assert api("PUT", "/components/analytics/status", {"status": "major_outage"}).status_code == 200
    with app.app_context():
        revoke_token("ci")
    before = db_state(app)
    response = api("PUT", "/components/analytics/status", {"status": "operational"})
    assert_error(response, 401, "unauthorized", "revoked")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert db_state(app) == before


def test_results_scope_gets_403(app, client) -> None:
    with app.app_context():
        agent = create_token("agent-eu", "results", location="eu")
    before = db_state(app)
    response = client.post(
        f"{PREFIX}/incidents", json=OPEN, headers={"Authorization": f"Bearer {agent}"}
    )
    assert_error(response, 403, "forbidden", "scope")
    assert db_state(app) == before


def test_use_is_noted_on_the_token(app, api) -> None:
    api("GET", "/incidents/nope")
    with app.app_context():
        assert db.session.execute(db.select(ApiToken.last_used_at)).scalar_one() is not None


def test_scheme_is_case_insensitive(client, token) -> None:
    response = client.post(
        f"{PREFIX}/incidents", json=OPEN, headers={"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 201


class TestCsrf:
    @pytest.fixture
    def settings(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_bearer_requests_need_no_csrf_token(self, client, auth) -> None:
        # CSRF is on: a cookie-authenticated form without its token is refused...
        assert client.post("/admin/sign-in", data={"email": "a@b.c"}).status_code == 400
        # ... while the API, which carries no cookies, is exempt.
        response = client.put(
            f"{PREFIX}/components/analytics/status", json={"status": "major_outage"}, headers=auth
        )
        assert response.status_code == 200
