"""Security review: every protected route refuses strangers, and no secret leaks anywhere."""

from __future__ import annotations

import logging
import re

from statuspage.staff.accounts import create_user
from statuspage.staff.tokens import create_token
from statuspage.store.db import db
from statuspage.store.models import ApiToken, Incident, User
from tests.staff.test_backup import populate

PROBE_SECRET = "sk-probe-9d8c7b6a5f4e3d2c"


def sample_path(rule, codes) -> str:
    """Fill a route's placeholders with values that exist."""
    values = {
        "code": codes[0],
        "slug": "live-updates",
        "fmt": "atom",
        "filename": "style.css",
        "user_id": "1",
    }
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values.get(m.group(1), "x"), rule.rule)


def test_every_admin_route_refuses_strangers(app, client) -> None:
    codes, _ = populate(app)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint.startswith("auth."):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(sample_path(rule, codes), method=method)
            # GETs go to the sign-in form; POSTs without a CSRF token are refused first.
            assert response.status_code in (302, 400), (rule.rule, method)
            if response.status_code == 302:
                assert "/admin/sign-in" in response.headers["Location"]
            checked += 1
    assert checked >= 14
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Incident.id))).scalar() == len(codes)


def test_every_write_endpoint_refuses_no_token_and_the_wrong_scope(app, client) -> None:
    codes, _ = populate(app)
    with app.app_context():
        results_token = create_token("agent", "results", location="eu")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule.endswith("openapi.json"):
            continue
        if rule.rule.startswith("/api/v1/heartbeats/"):
            continue  # no token: the key in the path is the secret (api_v1/test_heartbeats.py)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = sample_path(rule, codes)
            assert client.open(path, method=method, json={}).status_code == 401, (path, method)
            if not rule.rule.endswith("/results"):
                wrong = client.open(
                    path,
                    method=method,
                    json={},
                    headers={"Authorization": f"Bearer {results_token}"},
                )
                assert wrong.status_code == 403, (path, method)
            checked += 1
    assert checked >= 8


def test_no_secret_in_any_response_log_or_export(app, client, runner, caplog, monkeypatch) -> None:
    monkeypatch.setenv("CAPGO_API_KEY", PROBE_SECRET)
    caplog.set_level(logging.DEBUG)
    codes, token = populate(app)
    with app.app_context():
        create_user("bob@capgo.app", "another long password")
        secrets = {
            PROBE_SECRET,
            token,
            app.config["SECRET_KEY"],
            *(t.token_hash for t in db.session.execute(db.select(ApiToken)).scalars()),
            *(u.password_hash for u in db.session.execute(db.select(User)).scalars()),
        }
    bodies = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/admin"):
            continue
        response = client.get(sample_path(rule, codes))
        bodies.append(response.get_data(as_text=True) + str(response.headers))
    # Signed in, the admin pages too.
    client.post(
        "/admin/sign-in", data={"email": "bob@capgo.app", "password": "another long password"}
    )
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and "GET" in rule.methods:
            bodies.append(client.get(sample_path(rule, codes)).get_data(as_text=True))
    bodies.append(runner.invoke(args=["export"]).output)
    bodies.append(
        runner.invoke(args=["config", "check"], env={"CAPGO_API_KEY": PROBE_SECRET}).output
    )
    bodies.append(runner.invoke(args=["token", "list"]).output)
    bodies.append(caplog.text)
    assert len(bodies) > 30
    for secret in secrets:
        for body in bodies:
            assert secret not in body
