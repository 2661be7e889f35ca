"""The mirror: the published tree copied to an S3-compatible bucket that shares no fate with us.

`s3://bucket/prefix` names the place; the endpoint comes from STATUSPAGE_S3_ENDPOINT (unset:
AWS S3 itself), so Cloudflare R2, AWS S3 and MinIO all work; credentials come the way every
AWS tool takes them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile). Only files
whose MD5 differs from the object's ETag are uploaded (a single PUT's ETag is its MD5), in
the publisher's order (index pages last), each with the content type the app answered with
and the app's Cache-Control. The .gz siblings stay home: a bucket cannot choose between
encodings per client, so the CDN in front of it compresses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from statuspage.publish.tree import leaves_first, read_manifest
from statuspage.web.caching import CACHE_CONTROL

# Flask answers its static files with this; the app's pages with CACHE_CONTROL.
STATIC_CACHE_CONTROL = "no-cache"


class MirrorError(Exception):
    """The mirror could not be reached or written; what it held before is unchanged."""


@dataclass(frozen=True)
class Target:
    """A bucket and the prefix (maybe empty) the tree goes under."""

    bucket: str
    prefix: str

    def key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path


@dataclass
class Pushed:
    """What a push did: the objects uploaded and those already up to date."""

    uploaded: list[str] = field(default_factory=list)
    unchanged: int = 0


def parse_target(url: str) -> Target:
    """Read `s3://bucket/prefix`; raise MirrorError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise MirrorError(f"--to must be s3://BUCKET/PREFIX, got {url!r}")
    if parts.query or parts.fragment:
        raise MirrorError(f"--to takes no query or fragment, got {url!r}")
    return Target(parts.netloc, parts.path.strip("/"))


def push(directory: Path, url: str, endpoint: str | None) -> Pushed:
    """Upload the published tree in `directory` to the bucket, only what changed."""
    target = parse_target(url)
    files = read_manifest(directory)
    if not files:
        raise MirrorError(f"{directory} holds no published tree (run statuspage publish first)")
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise MirrorError("the mirror needs boto3: pip install '.[mirror]'") from None
    client = boto3.client("s3", endpoint_url=endpoint or None)
    pushed = Pushed()
    try:
        stored = _etags(client, target)
        for path in sorted(files, key=lambda path: leaves_first(PurePosixPath(path))):
            body = (directory / path).read_bytes()
            key = target.key(path)
            if stored.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
                pushed.unchanged += 1
                continue
            client.put_object(
                Bucket=target.bucket,
                Key=key,
                Body=body,
                ContentType=files[path]["type"],
                CacheControl=STATIC_CACHE_CONTROL if path.startswith("static/") else CACHE_CONTROL,
            )
            pushed.uploaded.append(key)
    except (BotoCoreError, ClientError) as error:
        raise MirrorError(f"{url}: {error}") from error
    except OSError as error:
        raise MirrorError(f"cannot read {directory}: {error}") from error
    return pushed


def _etags(client: object, target: Target) -> dict[str, str]:
    """Return the ETag (without quotes) of every object under the target's prefix."""
    prefix = target.key("") if target.prefix else ""
    etags: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(  # type: ignore[attr-defined]
        Bucket=target.bucket, Prefix=prefix
    ):
        for item in page.get("Contents", ()):
            etags[item["Key"]] = item["ETag"].strip('"')
    return etags
