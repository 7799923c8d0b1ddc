"""Which addresses offermap may connect to: the SSRF guard shared by every fetch path.

Links come from strangers (search results, provider sites), so a link, a redirect or a
meta refresh can point the crawler at the loopback interface, the office network or
the cloud metadata service.  Scrapy does no private-address blocking
(../shared/RELIABILITY.md, finding 3), so every host is resolved here, every address
checked, and the checked addresses *pinned*: the connection goes to exactly the
addresses that were checked, so a name that answers "public" first and "private"
next (DNS rebinding) cannot slip through between the check and the connect.

Loopback and private networks are opened on purpose only, by an allowlist of
networks (``OFFERMAP_ALLOW_NETWORKS``, e.g. ``127.0.0.0/8`` for the offline demo).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

from pipeline.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Reasons, as recorded on a refused page ("blocked: <reason>: <detail>").
BLOCKED_PRIVATE = "blocked_private_address"
BLOCKED_SCHEME = "blocked_scheme"
BLOCKED_UNRESOLVED = "blocked_unresolvable_host"
BLOCKED_INVALID_URL = "blocked_invalid_url"

#: The environment variable (and Scrapy setting) that opens networks on purpose.
ALLOW_ENV = "OFFERMAP_ALLOW_NETWORKS"

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Cloud metadata services (AWS, GCP, Azure, ...; AWS also on IPv6): never contacted,
# whatever the allowlist says, and an allowlist that covers one is refused.
METADATA_ADDRESSES = (ipaddress.ip_address("169.254.169.254"),
                      ipaddress.ip_address("fd00:ec2::254"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Every range that IANA's special-purpose registries mark as not globally reachable,
# named here so that the verdict does not depend on the Python version's
# ``is_global`` (3.11 lets fec0::/10 and 192.0.0.8 through).  ``not is_global`` is
# checked as well, for anything a later registry adds.
_NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/8", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20",
    "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))

# The legacy IPv4 spellings that inet_aton (and so getaddrinfo) accepts:
# 2130706433, 0177.0.0.1, 0x7f.1, 127.1.  Matched strictly so that names such
# as "0xfeed.example" are not mistaken for addresses.
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)


class Blocked(Exception):
    """A URL that must not be fetched; ``reason`` is one of the BLOCKED_* names."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class TransientLookupError(OSError):
    """The resolver did not answer this time (EAI_AGAIN): worth a retry, unlike NXDOMAIN."""


class InvalidAllowlist(ConfigError, ValueError):
    """``OFFERMAP_ALLOW_NETWORKS`` does not parse, or opens what must stay closed.

    A ConfigError, so the command line prints it as one line and exits 2.
    """


# --- hosts and addresses -------------------------------------------------------------


def normalise_host(host: str) -> str:
    """Lower case, no brackets, no trailing dot ("localhost." is "localhost")."""
    return host.strip().strip("[]").rstrip(".").lower()


def literal_address(host: str) -> IPAddress | None:
    """The address a host *spells*, in any form a resolver would accept, or None."""
    text = normalise_host(host)
    if "%" in text:  # an IPv6 zone id ("fe80::1%eth0") names a link-local interface
        text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def parse_networks(spec: str | Iterable[str] | None) -> tuple[Network, ...]:
    """Networks from "127.0.0.0/8, ::1/128" or a list of such strings.

    Raises :class:`InvalidAllowlist` naming the variable, the whole value and the
    item that is not a network.
    """
    if not spec:
        return ()
    items = re.split(r"[\s,]+", spec) if isinstance(spec, str) else list(spec)
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise InvalidAllowlist(
                f"{ALLOW_ENV}={_shown(spec)}: {text!r} is not a network; write addresses "
                "or CIDR networks separated by commas, e.g. \"127.0.0.0/8, ::1/128\""
            ) from None
    return tuple(networks)


def unsafe_allowlist_reason(networks: Iterable[Network]) -> str | None:
    """Why an allowlist must not be used, or None: it may not open every address,
    nor a cloud metadata service (0.0.0.0/1 plus 128.0.0.0/1 covers 169.254.169.254)."""
    for network in networks:
        if network.prefixlen == 0:
            return (f"{network} opens every address, including the cloud metadata "
                    "service: list only the networks you need")
        for metadata in METADATA_ADDRESSES:
            if metadata.version == network.version and metadata in network:
                return (f"{network} covers the cloud metadata address {metadata}, which "
                        "gives out credentials: list only the networks you need")
    return None


def allow_networks(spec: str | Iterable[str] | None) -> tuple[Network, ...]:
    """The allowlist from ``spec``, refused (:class:`InvalidAllowlist`) when unsafe."""
    networks = parse_networks(spec)
    reason = unsafe_allowlist_reason(networks)
    if reason is not None:
        raise InvalidAllowlist(f"{ALLOW_ENV}={_shown(spec)}: {reason}")
    return networks


def _shown(spec: str | Iterable[str]) -> str:
    text = spec if isinstance(spec, str) else ",".join(str(item) for item in spec)
    return repr(text[:200])


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (::ffff:a.b.c.d, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Refuses every address that is not plainly public, unless allowlisted."""

    allow: tuple[Network, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` must not be contacted, or None when it may be."""
        if address in METADATA_ADDRESSES:
            return BLOCKED_PRIVATE  # not even an allowlist opens the metadata service
        if self.allowed(address):
            return None
        inner = embedded_ipv4(address)
        if inner is not None:
            # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the address it carries.
            return self.refusal(inner)
        if _is_internal(address):
            return BLOCKED_PRIVATE
        return None

    def allowed(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.allow)


def _is_internal(address: IPAddress) -> bool:
    if any(address.version == net.version and address in net for net in _NOT_GLOBAL):
        return True
    return (address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_unspecified or address.is_reserved
            or getattr(address, "is_site_local", False) or not address.is_global)


# --- resolution and pinning ----------------------------------------------------------

Lookup = Callable[[str], list[str]]


def system_lookup(host: str) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP), in its order."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        if text not in seen:
            seen.append(text)
    return seen


@dataclass
class Guard:
    """Checks URLs and pins each host to the addresses that were checked.

    One guard serves a whole process (the Twisted resolver and the downloader
    middleware share it through :func:`guard_for`), so a host is resolved once per
    run and every later connection to it goes to the same, checked, addresses.
    """

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    lookup: Lookup = system_lookup
    pins: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check_url(self, url: str, *, trusted: bool = False) -> tuple[str, ...]:
        """The pinned addresses for ``url``'s host; raises :class:`Blocked` when refused.

        ``trusted`` is for the operator's own endpoints (the configured search
        backend): they are resolved and pinned, but not held to the policy.
        """
        parts = self.check_syntax(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            raise Blocked(BLOCKED_SCHEME, f"{parts.scheme or 'no'} scheme in {url[:200]}")
        host = normalise_host(parts.hostname or "")
        if not host:
            raise Blocked(BLOCKED_UNRESOLVED, f"no host in {url[:200]}")
        addresses = self.pin(host)
        if not trusted:
            self._judge(host, addresses)
        return addresses

    @staticmethod
    def check_syntax(url: str) -> SplitResult:
        """``url`` split, with a host and port that parse; :class:`Blocked` otherwise.

        ``http://[::1/`` (an unclosed IPv6 bracket) and ``http://h:99999/`` (a port
        out of range) are refused as ``blocked_invalid_url``, not a ValueError.
        """
        try:
            parts = urlsplit(url)
            _host, _port = parts.hostname, parts.port  # each may raise ValueError
        except ValueError as error:
            raise Blocked(BLOCKED_INVALID_URL, f"{url[:200]}: {error}") from None
        return parts

    def pin(self, host: str) -> tuple[str, ...]:
        """The addresses ``host`` is pinned to, resolving it the first time."""
        host = normalise_host(host)
        with self._lock:
            pinned = self.pins.get(host)
        if pinned is not None:
            return pinned
        addresses = self._resolve(host)
        with self._lock:
            # First answer wins: a rebinding name keeps the address checked first.
            return self.pins.setdefault(host, addresses)

    def connect_addresses(self, host: str) -> tuple[str, ...]:
        """What the Twisted resolver hands to the connection: the pinned addresses.

        A host that never went through :meth:`check_url` (it should not happen: the
        middleware sees every request) is resolved and judged here, as a backstop.
        """
        host = normalise_host(host)
        with self._lock:
            pinned = self.pins.get(host)
        if pinned is not None:
            return pinned
        addresses = self.pin(host)
        self._judge(host, addresses)
        return addresses

    def dial(self, address: str) -> str:
        """The address actually connected to for a checked ``address``: itself.

        Tests override this to send every connection to a loopback stand-in, so a
        guard bug can never put traffic on a real private network.
        """
        return address

    def _resolve(self, host: str) -> tuple[str, ...]:
        literal = literal_address(host)
        if literal is not None:
            return (str(literal),)
        try:
            found = self.lookup(host)
        except socket.gaierror as error:
            if error.errno == socket.EAI_AGAIN:
                raise TransientLookupError(f"{host}: {error}") from None
            raise Blocked(BLOCKED_UNRESOLVED, f"{host}: {error}") from None
        except OSError as error:
            raise TransientLookupError(f"{host}: {error}") from None
        if not found:
            raise Blocked(BLOCKED_UNRESOLVED, f"{host}: no address")
        return tuple(str(ipaddress.ip_address(a)) for a in found)

    def _judge(self, host: str, addresses: tuple[str, ...]) -> None:
        # One internal address among several refuses the name: an attacker's DNS
        # can answer with a public and a private address and let the OS pick.
        for text in addresses:
            reason = self.policy.refusal(ipaddress.ip_address(text))
            if reason is not None:
                raise Blocked(reason, f"{host} resolves to {text}")


# --- one guard per process -----------------------------------------------------------

_GUARDS: dict[tuple[Any, ...], Guard] = {}
_GUARDS_LOCK = threading.Lock()


def allow_networks_from(settings: Any | None = None) -> tuple[Network, ...]:
    """The allowlist: the Scrapy setting when given, else the environment variable.

    Raises :class:`InvalidAllowlist` (one line naming the variable and the value)
    when it does not parse or opens the cloud metadata service.  Commands call this
    before they start, so a typo stops them instead of every request.
    """
    value: Any = None
    if settings is not None:
        value = settings.get("OFFERMAP_ALLOW_NETWORKS")
    if value is None:
        value = os.environ.get(ALLOW_ENV, "")
    return allow_networks(value)


def guard_for(settings: Any) -> Guard:
    """The process-wide guard for these settings (shared by resolver and middleware)."""
    from scrapy.utils.misc import load_object

    factory_path = settings.get("OFFERMAP_GUARD_FACTORY") or "crawler.safety.Guard"
    allow = allow_networks_from(settings)
    key = (factory_path, allow)
    with _GUARDS_LOCK:
        if key not in _GUARDS:
            factory = load_object(factory_path)
            _GUARDS[key] = factory(policy=AddressPolicy(allow))
        return _GUARDS[key]


__all__ = [
    "ALLOWED_SCHEMES",
    "ALLOW_ENV",
    "BLOCKED_INVALID_URL",
    "BLOCKED_PRIVATE",
    "BLOCKED_SCHEME",
    "BLOCKED_UNRESOLVED",
    "METADATA_ADDRESSES",
    "AddressPolicy",
    "Blocked",
    "Guard",
    "InvalidAllowlist",
    "TransientLookupError",
    "allow_networks",
    "allow_networks_from",
    "guard_for",
    "literal_address",
    "normalise_host",
    "parse_networks",
    "unsafe_allowlist_reason",
]
