"""Publishing: the public site as a tree of files for nginx, and its mirror in a bucket."""

from statuspage.publish.tree import MANIFEST, Outcome, PublishError, publish, read_manifest
from statuspage.publish.urls import DYNAMIC_PREFIXES, file_path, public_urls

__all__ = [
    "DYNAMIC_PREFIXES",
    "MANIFEST",
    "Outcome",
    "PublishError",
    "file_path",
    "public_urls",
    "publish",
    "read_manifest",
]
