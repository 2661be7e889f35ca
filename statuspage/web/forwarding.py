"""What the site believes about the way a request reached it.

Forwarded headers (X-Forwarded-For, -Proto) count only when the request comes from a trusted
proxy: anyone who can reach the app directly could otherwise say they are anyone. The path
the site lives under comes from `[site] url`, never from a header: a header that changed the
links in a page would change them for everyone the cache then serves it to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from statuspage.config import ConfigError

# Where a reverse proxy usually is: the same host, or the private network in front of it.
DEFAULT_TRUSTED = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(text: str) -> tuple[Network, ...]:
    """Read STATUSPAGE_TRUSTED_PROXIES: addresses or networks, comma separated."""
    networks = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(
                f"STATUSPAGE_TRUSTED_PROXIES: {part!r} is not an address or network "
                "(write 10.0.0.0/8, 192.0.2.7 or ::1)"
            ) from None
    return tuple(networks)


def site_prefix(site_url: str) -> str:
    """Return the path the site is served under, from its configured URL ("" at the root)."""
    return urlsplit(site_url).path.rstrip("/")


class TrustedProxies:
    """Apply ProxyFix to requests from a trusted proxy, and leave every other request alone."""

    def __init__(self, app: Any, hops: int, networks: Iterable[Network]) -> None:
        self.plain = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops)
        self.networks = tuple(networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        """Serve the request, believing its forwarded headers only from a trusted peer."""
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR", ""))
        except ValueError:
            peer = None
        trusted = peer is not None and any(peer in network for network in self.networks)
        return (self.fixed if trusted else self.plain)(environ, start_response)


class SitePrefix:
    """Serve the site under its configured path, whatever the server or a header says."""

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        """Set SCRIPT_NAME to the prefix, taking it off the path when the proxy passed it on."""
        path = environ.get("PATH_INFO", "")
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix) :] or "/"
        environ["SCRIPT_NAME"] = self.prefix
        environ["PATH_INFO"] = path
        return self.app(environ, start_response)
