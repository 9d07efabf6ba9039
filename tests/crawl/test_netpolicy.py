from __future__ import annotations

import pytest

from marketloop.crawl.netpolicy import (
    PolicyResolver,
    PrivateAddressError,
    StaticResolver,
    is_forbidden,
    literal_is_forbidden,
)

ADDRESSES = [
    ("127.0.0.1", True),
    ("127.1.2.3", True),
    ("10.0.0.8", True),
    ("172.16.5.4", True),
    ("192.168.1.1", True),
    ("169.254.169.254", True),  # cloud metadata
    ("100.64.0.1", True),  # carrier-grade NAT
    ("0.0.0.0", True),
    ("224.0.0.251", True),
    ("::1", True),
    ("::", True),
    ("fe80::1", True),
    ("fd12:3456::1", True),  # unique local
    ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
    ("::ffff:169.254.169.254", True),
    ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
    ("8.8.8.8", False),
    ("93.184.216.34", False),
    ("2606:4700:4700::1111", False),
    ("::ffff:8.8.8.8", False),
]


@pytest.mark.parametrize(("address", "forbidden"), ADDRESSES)
def test_address_table(address: str, forbidden: bool) -> None:
    assert is_forbidden(address) is forbidden


@pytest.mark.parametrize(
    ("host", "forbidden"),
    [("127.0.0.1", True), ("[::1]", True), ("[2606:4700::1111]", False), ("example.com", False)],
)
def test_literal_hosts(host: str, forbidden: bool) -> None:
    assert literal_is_forbidden(host) is forbidden


async def test_resolver_refuses_a_name_that_resolves_to_a_private_address() -> None:
    inner = StaticResolver({"rebind.example": "127.0.0.1", "public.example": "93.184.216.34"})
    resolver = PolicyResolver(inner, allow_private=False)
    assert (await resolver.resolve("public.example", 443))[0]["host"] == "93.184.216.34"
    with pytest.raises(PrivateAddressError, match=r"rebind\.example resolves to 127\.0\.0\.1"):
        await resolver.resolve("rebind.example", 443)


async def test_resolver_checks_every_lookup_so_rebinding_is_caught() -> None:
    inner = StaticResolver({"flip.example": ["93.184.216.34", "169.254.169.254"]})
    resolver = PolicyResolver(inner, allow_private=False)
    await resolver.resolve("flip.example", 80)
    with pytest.raises(PrivateAddressError):
        await resolver.resolve("flip.example", 80)


async def test_allowing_private_networks_lets_answers_through() -> None:
    resolver = PolicyResolver(StaticResolver({"db.internal": "10.1.2.3"}), allow_private=True)
    assert (await resolver.resolve("db.internal", 80))[0]["host"] == "10.1.2.3"
