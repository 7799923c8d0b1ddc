"""The Twisted name resolver that connects only to checked, pinned addresses.

It must be set as ``TWISTED_DNS_RESOLVER`` in crawler/settings.py (project level):
set in a spider's ``custom_settings`` it is silently ignored (RELIABILITY.md,
finding 3).  The downloader middleware (crawler/middlewares/safety.py) checks every
request first and records why one is refused; this resolver is the enforcement
point at connect time, so nothing reaches a socket without the guard's consent.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

from crawler.safety import Blocked, Guard, guard_for

logger = logging.getLogger(__name__)


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels these
        pass


@implementer(IHostnameResolver)
class GuardedResolver:
    """Answers every lookup with the guard's pinned addresses, or with none."""

    def __init__(self, reactor: Any, guard: Guard) -> None:
        self.reactor = reactor
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        return cls(reactor, guard_for(crawler.settings))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self, resolutionReceiver: IResolutionReceiver, hostName: str, portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        pool = self.reactor.getThreadPool()
        found = deferToThreadPool(self.reactor, pool, self._addresses, hostName)

        def deliver(addresses: list[str]) -> None:
            for text in addresses:
                resolutionReceiver.addressResolved(_address(text, portNumber))
            resolutionReceiver.resolutionComplete()

        found.addCallbacks(deliver, lambda failure: resolutionReceiver.resolutionComplete())
        return resolution

    def _addresses(self, host: str) -> list[str]:
        try:
            checked = self.guard.connect_addresses(host)
        except Blocked as refused:
            # No addresses means "Couldn't find the hostname" to Twisted: the request
            # fails without a socket ever being opened.
            logger.warning("refused to connect: %s", refused)
            return []
        return [self.guard.dial(address) for address in checked]


def _address(text: str, port: int) -> Any:  # an IAddress provider
    if ipaddress.ip_address(text).version == 6:
        return IPv6Address("TCP", text, port)
    return IPv4Address("TCP", text, port)
