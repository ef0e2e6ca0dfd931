"""Which address a request comes from.

The peer's address, unless the peer is a proxy named in `MARKET_TRUSTED_PROXIES`
(addresses or networks; none by default). Only then does `X-Forwarded-For` count, and
only its right-most entries: walking from the right, the first address that is not a
trusted proxy is the client (everything left of it was written by the client itself and
proves nothing). `market serve` (granian) rewrites no address from proxy headers, so the
peer is the real one.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from litestar import Request

from market.settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def is_trusted_proxy(peer: str, trusted: tuple[str, ...]) -> bool:
    """Whether the peer is one of the proxies named in `MARKET_TRUSTED_PROXIES`."""
    networks = _networks(trusted)
    return bool(networks) and _trusted(peer, networks)


def forwarded_client(peer: str, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The client address given the peer, its X-Forwarded-For and the trusted proxies."""
    networks = _networks(trusted)
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed header from a trusted proxy: fall back to the peer
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def client_address(request: Request[Any, Any, Any]) -> str:
    peer = request.client.host if request.client else "unknown"
    return forwarded_client(
        peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxies
    )
