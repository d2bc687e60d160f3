"""Where a webhook may be sent. A receiver URL is chosen by an integrator (a project's client
key may register one), so the worker refuses hosts that resolve to loopback, private,
link-local or otherwise non-public addresses: the server must not become a way to reach the
operator's own network. `POLICYWARDEN_WEBHOOK_ALLOW_PRIVATE_URLS=true` lifts this for
receivers on an internal network (and for tests on 127.0.0.1).

The check resolves the host just before each attempt; a resolver that answers differently a
moment later (DNS rebinding) is not covered, so operators on hostile networks should also
restrict the server's egress.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class BlockedDestination(Exception):
    """The receiver's host resolves to an address that is not public."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check(url: str, allow_private: bool) -> None:
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise BlockedDestination("the receiver's host does not resolve") from None
    if not infos or not all(_public(info[4][0]) for info in infos):
        raise BlockedDestination("the receiver's host resolves to a non-public address")
