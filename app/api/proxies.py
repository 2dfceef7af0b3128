"""The client's address behind reverse proxies the operator trusts (``TRUSTED_PROXIES``).

``X-Forwarded-For`` is honoured only when the connection comes from a listed proxy (an
address or a network); the client is then the rightmost forwarded address that is not a
trusted proxy itself, so a client cannot pose as another by sending the header itself (its
own entries sit left of what the proxy appended). ``X-Forwarded-Proto`` from a trusted proxy
sets the scheme (the console's ``Secure`` cookie). With no trusted proxies, which is the
default, both headers are ignored and the client is the connection's peer.

``portal-gateway serve`` switches uvicorn's own proxy-header handling off (it trusts
127.0.0.1 by default), so this is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings import this module: no web framework at import time
    from litestar.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(value: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.0.0/24, ::1"`` -> networks; raises ValueError naming a bad entry."""
    networks: list[Network] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is neither an IP address nor a network") from None
    return tuple(networks)


class TrustedProxies:
    def __init__(self, networks: Iterable[Network]) -> None:
        self._networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.strip().strip("[]"))
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The client behind ``peer`` (a trusted proxy) as ``forwarded_for`` names it."""
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop[:64]
        return hops[0][:64] if hops else peer


def _header(scope: Scope, name: bytes) -> str | None:
    values = [bytes(v).decode("latin-1") for k, v in scope["headers"] if k.lower() == name]
    return ", ".join(values) if values else None


def trusted_proxy_headers(proxies: TrustedProxies) -> Callable[[ASGIApp], ASGIApp]:
    """An ASGI middleware factory for the app's middleware list: behind a trusted proxy, the
    scope's client and scheme become the forwarded ones."""
    from litestar.enums import ScopeType

    def middleware(app: ASGIApp) -> ASGIApp:
        if not proxies:
            return app  # nobody is trusted: nothing to do per request

        async def forwarded(scope: Scope, receive: Receive, send: Send) -> None:
            peer = scope.get("client")
            if scope["type"] == ScopeType.HTTP and peer and proxies.trusts(peer[0]):
                forwarded_for = _header(scope, b"x-forwarded-for")
                if forwarded_for:
                    scope["client"] = (proxies.client(peer[0], forwarded_for), 0)
                proto = (_header(scope, b"x-forwarded-proto") or "").strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
            await app(scope, receive, send)

        return forwarded

    return middleware
