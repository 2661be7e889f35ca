"""statuspage publish --to s3://...: the tree in a real S3-compatible server on loopback."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from statuspage import staff
from statuspage.publish import MANIFEST, publish, read_manifest
from statuspage.publish.mirror import MirrorError, parse_target, push
from statuspage.store.db import utcnow
from statuspage.web import caching
from tests.nginx import running
from tests.publish.site import STAFF, PinnedBucket, seed_site
from tests.standin import unused_port

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

# moto takes any key; these keep boto3 from looking further (no instance metadata lookups).
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory) -> Iterator[str]:
    """Run moto's S3-compatible server on a loopback port; yield its endpoint."""
    port = unused_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running(command, os.environ | CREDENTIALS, log, ready=endpoint + "/"):
        yield endpoint


@pytest.fixture
def bucket(s3_server, monkeypatch, request) -> str:
    """Create an empty bucket for this test and return its name."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    name = "mirror-" + request.node.name.replace("_", "-")[:40].lower().strip("-")
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=name)
    return name


def test_targets_are_read_strictly() -> None:
    assert parse_target("s3://status/capgo/") == parse_target("s3://status/capgo")
    assert parse_target("s3://status").prefix == ""
    assert parse_target("s3://b/a/b").key("index.html") == "a/b/index.html"
    assert parse_target("s3://b").key("index.html") == "index.html"
    for bad in ("https://status/x", "s3:///x", "s3://b/p?x=1", "/srv/site"):
        with pytest.raises(MirrorError):
            parse_target(bad)


def test_the_tree_is_mirrored_with_its_types_and_only_changes_are_uploaded(
    app, s3_server, bucket, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(caching, "time", PinnedBucket())
    seed_site(app, past_incidents=2)
    tree = tmp_path / "site"
    publish(app, tree)
    files = read_manifest(tree)
    first = push(tree, f"s3://{bucket}/status", s3_server)
    assert len(first.uploaded) == len(files) and first.unchanged == 0
    assert first.uploaded[-1] == "status/index.html"  # the home page last
    s3 = boto3.client("s3", endpoint_url=s3_server)
    for path, kind in (
        ("index.html", "text/html; charset=utf-8"),
        ("api/v2/summary.json", "application/json"),
        ("history.atom", "application/atom+xml; charset=utf-8"),
        ("static/style.css", "text/css; charset=utf-8"),
    ):
        stored = s3.get_object(Bucket=bucket, Key=f"status/{path}")
        assert stored["Body"].read() == (tree / path).read_bytes(), path
        assert stored["ContentType"] == kind == files[path]["type"], path
        expected = "no-cache" if path.startswith("static/") else caching.CACHE_CONTROL
        assert stored["CacheControl"] == expected, path
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="status/")["Contents"]
    keys = {item["Key"] for item in listed}
    assert not any(key.endswith(".gz") for key in keys) and f"status/{MANIFEST}" not in keys

    again = push(tree, f"s3://{bucket}/status", s3_server)
    assert again.uploaded == [] and again.unchanged == len(files)

    with app.app_context():
        staff.set_component_status(
            STAFF, app.config["STATUS"], utcnow(), "analytics", "major_outage"
        )
    publish(app, tree)
    changed = push(tree, f"s3://{bucket}/status", s3_server)
    assert "status/index.html" in changed.uploaded
    assert "status/components/analytics/index.html" in changed.uploaded
    assert "status/static/style.css" not in changed.uploaded
    page = s3.get_object(Bucket=bucket, Key="status/components/analytics/index.html")
    assert "Major Outage" in page["Body"].read().decode()


def test_a_missing_bucket_is_a_clear_error(app, s3_server, bucket, tmp_path) -> None:
    publish(app, tmp_path / "site")
    with pytest.raises(MirrorError, match="NoSuchBucket"):
        push(tmp_path / "site", "s3://no-such-bucket/x", s3_server)
    with pytest.raises(MirrorError, match="no published tree"):
        push(tmp_path / "empty", f"s3://{bucket}", s3_server)


def test_the_command_publishes_and_mirrors(app, runner, s3_server, bucket, tmp_path) -> None:
    env = CREDENTIALS | {"STATUSPAGE_S3_ENDPOINT": s3_server}
    result = runner.invoke(["publish", "--to", f"s3://{bucket}/p"], env=env)
    assert result.exit_code == 0, result.output
    assert "mirrored to s3://" in result.output and " uploaded, 0 unchanged" in result.output
    s3 = boto3.client("s3", endpoint_url=s3_server)
    assert s3.get_object(Bucket=bucket, Key="p/index.html")["ContentType"].startswith("text/html")
    both = runner.invoke(["publish", str(tmp_path / "site"), "--to", f"s3://{bucket}/p"], env=env)
    assert both.exit_code == 0, both.output
    assert (tmp_path / "site" / "index.html").is_file()


def test_the_command_refuses_bad_targets(app, runner) -> None:
    result = runner.invoke(["publish", "--to", "ftp://example/x"])
    assert result.exit_code == 2 and "s3://BUCKET/PREFIX" in result.output
    nothing = runner.invoke(["publish"])
    assert nothing.exit_code == 2 and "DIRECTORY" in nothing.output
