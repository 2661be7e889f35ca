"""POST /api/v1/heartbeats/<key>: no token, the key is the secret, and it is shown nowhere."""

from __future__ import annotations

import hmac
import logging

import pytest
from click.testing import CliRunner

from statuspage.cli import cli
from statuspage.engine import heartbeats as engine_heartbeats
from statuspage.store.checks import Heartbeat
from statuspage.store.db import db
from statuspage.web.api_v1 import PREFIX
from statuspage.web.api_v1.heartbeats import RedactHeartbeatKeys
from tests.conftest import stored_bytes
from tests.web.api_v1.shared import assert_error

KEY = "Zq7" + "a1b2c3d4e5f6g7h8" * 3
OTHER = "Yx8" + "h8g7f6e5d4c3b2a1" * 3
CONFIG = """
[site]
name = "Capgo"
url = "https://status.capgo.app"
[[components]]
slug = "analytics"
name = "Analytics"
[[components.probes]]
name = "Queue consumer"
kind = "heartbeat"
key = "${QUEUE_KEY}"
expect_every_s = 300
[[components.probes]]
name = "Nightly export"
kind = "heartbeat"
key = "${EXPORT_KEY}"
expect_every_s = 86400
grace_s = 3600
"""


@pytest.fixture
def config_path(write_config):
    return write_config(CONFIG)


@pytest.fixture(autouse=True)
def keys(monkeypatch) -> None:
    monkeypatch.setenv("QUEUE_KEY", KEY)
    monkeypatch.setenv("EXPORT_KEY", OTHER)


def beats(app) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(db.select(Heartbeat)).scalars().all()
        found = {r.probe_key: (r.beats, r.last_status, r.last_message) for r in rows}
        db.session.remove()
    return found


def test_a_beat_needs_no_token_and_each_key_names_its_heartbeat(app, client) -> None:
    assert client.post(f"{PREFIX}/heartbeats/{KEY}").status_code == 200
    response = client.post(f"{PREFIX}/heartbeats/{OTHER}", json={"message": "exported 3 files"})
    assert response.status_code == 200
    assert response.json["probe"] == "analytics/nightly-export"
    assert KEY not in response.get_data(as_text=True)
    failed = client.post(f"{PREFIX}/heartbeats/{KEY}", json={"status": "fail", "message": "stuck"})
    assert failed.json["status"] == "fail"
    assert beats(app) == {
        "analytics/queue-consumer": (2, "fail", "stuck"),
        "analytics/nightly-export": (1, "ok", "exported 3 files"),
    }


def test_a_wrong_or_unusable_key_is_refused_without_repeating_it(app, client, monkeypatch) -> None:
    guess = "A" * 40
    response = client.post(f"{PREFIX}/heartbeats/{guess}")
    assert_error(response, 404, "not_found")
    assert response.json["message"] == "no heartbeat has this key"
    assert guess not in response.get_data(as_text=True)
    monkeypatch.setenv("EXPORT_KEY", "short")  # too weak: accepts nothing, not even itself
    assert client.post(f"{PREFIX}/heartbeats/short").status_code == 404
    assert beats(app) == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"status": 1}, "status"),
        ({"message": "x" * 201}, "message"),
        ({"message": "bad\u0000byte"}, "message"),
        ({"key": KEY}, "key"),
    ],
)
def test_a_bad_body_is_refused_like_any_api_body(app, client, body, field) -> None:
    response = client.post(f"{PREFIX}/heartbeats/{KEY}", json=body)
    assert_error(response, 422, "invalid", field)
    assert KEY not in response.get_data(as_text=True)
    assert beats(app) == {}


def test_wrong_methods_and_paths_never_echo_the_key(client) -> None:
    for response in (
        client.get(f"{PREFIX}/heartbeats/{KEY}"),
        client.post(f"{PREFIX}/heartbeats/{KEY}/extra"),
        client.post(f"{PREFIX}/heartbeats/{KEY}", data="status=fail"),
    ):
        text = response.get_data(as_text=True)
        assert response.status_code in (400, 404, 405) and KEY not in text
    assert "(redacted)" in client.get(f"{PREFIX}/heartbeats/{KEY}").json["message"]


def test_every_key_is_compared_whatever_matches(app, monkeypatch) -> None:
    compared: list[int] = []
    real = hmac.compare_digest

    def counting(a, b) -> bool:
        compared.append(1)
        return real(a, b)

    monkeypatch.setattr(engine_heartbeats.hmac, "compare_digest", counting)
    heartbeats = app.config["STATUS"].heartbeats
    environ = {"QUEUE_KEY": KEY, "EXPORT_KEY": OTHER}
    for presented in (KEY, OTHER, "nope" * 10):
        compared.clear()
        engine_heartbeats.find_heartbeat(presented, heartbeats, environ)
        assert len(compared) == 2


def test_the_key_is_in_no_document_page_log_or_row(app, client, caplog, config_path) -> None:
    caplog.set_level(logging.DEBUG)
    client.post(f"{PREFIX}/heartbeats/{KEY}")
    document = client.get(f"{PREFIX}/openapi.json")
    operation = document.json["paths"][f"{PREFIX}/heartbeats/{{key}}"]["post"]
    assert operation["security"] == [] and "404" in operation["responses"]
    assert "example" not in document.get_data(as_text=True)
    env = {"STATUSPAGE_CONFIG": str(config_path), "QUEUE_KEY": KEY, "EXPORT_KEY": OTHER}
    checked = CliRunner().invoke(cli, ["config", "check"], env=env)
    assert "heartbeat" in checked.output and "${QUEUE_KEY}" in checked.output
    pages = [client.get(path) for path in ("/", "/components/analytics", "/api/v2/summary.json")]
    texts = [document.get_data(as_text=True), checked.output, caplog.text]
    texts += [page.get_data(as_text=True) for page in pages]
    for text in texts:
        assert KEY not in text
    with app.app_context():
        db.engine.dispose()
    assert KEY.encode() not in stored_bytes(app.config["SQLALCHEMY_DATABASE_URI"])


def test_request_log_lines_hide_the_key() -> None:
    # werkzeug's development server logs '"%s" %s %s' with the request line as an argument;
    # gunicorn's access log passes a dict of atoms.
    filters = logging.getLogger("werkzeug").filters
    assert any(isinstance(f, RedactHeartbeatKeys) for f in filters)
    line = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"POST {PREFIX}/heartbeats/{KEY} HTTP/1.1", 200, "-"),
        None,
    )
    RedactHeartbeatKeys().filter(line)
    assert KEY not in line.getMessage() and "/heartbeats/(redacted)" in line.getMessage()
    access = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        "%(r)s",
        ({"r": f"GET {PREFIX}/heartbeats/{KEY}"},),
        None,
    )
    RedactHeartbeatKeys().filter(access)
    assert KEY not in access.getMessage()
