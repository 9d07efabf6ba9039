"""Network policy: a crawl never reaches private, loopback, link-local, unique-local or
unspecified addresses (nor any other non-global range) unless `crawl.allow_private_networks` is
set, or the start URL's host is such an IP address or `localhost`: then that address (or what
localhost resolves to), and only it, is exempt. A start *name* that resolves to a private
address earns no exemption, since one DNS answer must not switch the policy off.

The decision is made on the addresses a host *resolves to*, at connection time, by
`PolicyResolver` (the aiohttp resolver edge), so a public name that later resolves to
127.0.0.1 or 169.254.169.254 (DNS rebinding) is refused too. Literal IP hosts never reach a
resolver in aiohttp, so the crawler checks them with `PolicyResolver.refuses_literal` before a
request.
The pure part (`is_forbidden`) is what the API uses to vet a URL it is asked to crawl.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateAddressError(OSError):
    """A host resolved to an address the network policy forbids."""


def is_forbidden(address: str | IPAddress) -> bool:
    """True for every address that is not globally routable unicast.

    That covers RFC 1918 private ranges, loopback, link-local (incl. the cloud metadata address
    169.254.169.254), unique-local fc00::/7, unspecified, shared (CGNAT), documentation,
    benchmarking, reserved and multicast addresses, and IPv6 forms that embed such an IPv4
    address (::ffff:127.0.0.1, 6to4, NAT64).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or _nat64(ip)
        if embedded is not None and is_forbidden(embedded):
            return True
    return ip.is_multicast or not ip.is_global


def literal_is_forbidden(host: str) -> bool:
    """For a URL host that is an IP literal: whether the policy forbids it (names: False)."""
    try:
        return is_forbidden(host.strip("[]"))
    except ValueError:
        return False


def _nat64(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class PolicyResolver(AbstractResolver):
    """Resolve with `inner`, then refuse any answer that contains a forbidden address.

    Every address of the answer is checked, not just the first, so a name that resolves to a
    public and a private address is refused as a whole.
    """

    def __init__(self, inner: AbstractResolver | None = None, *, allow_private: bool) -> None:
        self.inner = inner or DefaultResolver()
        self.allow_private = allow_private
        #: forbidden addresses this crawl may still reach: the start URL's own (see `exempt`)
        self.exempt: frozenset[IPAddress] = frozenset()

    def refuses(self, address: str) -> bool:
        """Whether the policy refuses a connection to `address` (an IP, without brackets)."""
        if self.allow_private or not is_forbidden(address):
            return False
        return ipaddress.ip_address(address) not in self.exempt

    def refuses_literal(self, host: str) -> bool:
        """For a URL host: whether it is an IP literal the policy refuses (names: False)."""
        return _is_literal(host) and self.refuses(host.strip("[]"))

    async def exempt_start(self, host: str) -> None:
        """Exempt the start URL's own addresses, when its host is an IP literal or localhost."""
        if _is_literal(host) or host.lower().rstrip(".") == "localhost":
            self.exempt = frozenset(ipaddress.ip_address(a) for a in await self.addresses(host))

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await _resolved(self.inner, host, port, family)
        if not self.allow_private:
            forbidden = [a["host"] for a in answers if self.refuses(a["host"])]
            if forbidden:
                raise PrivateAddressError(
                    f"{host} resolves to {', '.join(forbidden)}, a private or local address"
                )
        return answers

    async def addresses(self, host: str) -> list[str]:
        """Every address `host` resolves to (no policy applied)."""
        if _is_literal(host):
            return [host.strip("[]")]
        answers = await _resolved(self.inner, host, 0, socket.AF_UNSPEC)
        return [a["host"] for a in answers]

    async def close(self) -> None:
        await self.inner.close()


async def _resolved(
    inner: AbstractResolver, host: str, port: int, family: socket.AddressFamily
) -> list[ResolveResult]:
    """`inner`'s answer; a name the IDNA codec refuses (a label over 63 characters, an empty
    one) fails like a name that does not resolve, not with a UnicodeError."""
    try:
        return await inner.resolve(host, port, family)
    except UnicodeError:
        raise OSError(f"{host[:80]} is not a valid DNS name") from None


class StaticResolver(AbstractResolver):
    """Answers from a fixed table (host → addresses); for tests, the demo and air-gapped runs.

    A value may be a list of answers to give on successive lookups (the last one repeats), which
    is how a test plays a DNS rebinding attack.
    """

    def __init__(self, table: Mapping[str, str | Sequence[str]]) -> None:
        self.table = {host.lower(): _answers(value) for host, value in table.items()}
        self.lookups: dict[str, int] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        key = host.lower().rstrip(".")
        if key not in self.table:
            raise OSError(socket.EAI_NONAME, f"{host}: name not known")
        answers = self.table[key]
        count = self.lookups.get(key, 0)
        self.lookups[key] = count + 1
        address = answers[min(count, len(answers) - 1)]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": family,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def _answers(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
