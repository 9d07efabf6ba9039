"""Rate limits per key and scope (`[api.limits]`), and per client address for requests without
a valid key, on the `limits` library: in memory by default, in Redis (`[api] limits_storage =
"redis://..."`) when several server processes share the limits.

A request over its limit is refused with 429, `Retry-After` and the `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` headers (draft-ietf-httpapi-ratelimit-headers);
allowed requests carry the three `RateLimit-*` headers too.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Sequence

import anyio.to_thread
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from marketloop.api.config import ApiSettings
from marketloop.api.errors import RateLimited

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Throttle:
    def __init__(self, settings: ApiSettings) -> None:
        self.storage = storage_from_string(settings.limits_storage)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        # memory storage answers at once; a server's storage is asked from a worker thread
        self.in_memory = settings.limits_storage.startswith("memory://")
        self.items: dict[str, RateLimitItem] = {
            bucket: parse_many(text)[0] for bucket, text in settings.limits.items()
        }

    async def hit(self, bucket: str, who: str) -> dict[str, str]:
        """Count one request of `who` against `bucket`; the RateLimit headers, or RateLimited."""
        if self.in_memory:
            return self.hit_now(bucket, who)
        return await anyio.to_thread.run_sync(self.hit_now, bucket, who)

    def hit_now(self, bucket: str, who: str) -> dict[str, str]:
        item = self.items[bucket]
        allowed = self.limiter.hit(item, bucket, who)
        stats = self.limiter.get_window_stats(item, bucket, who)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(item.amount),
            "RateLimit-Remaining": str(max(0, stats.remaining)),
            "RateLimit-Reset": str(reset),
        }
        if not allowed:
            raise RateLimited(
                f"over the {bucket} rate limit ({item})",
                retry_after=reset,
                headers={**headers, "Retry-After": str(reset)},
            )
        return headers


def trusted_networks(items: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def client_address(peer: str | None, forwarded: str | None, trusted: Sequence[Network]) -> str:
    """The address a request came from. `X-Forwarded-For` is read only when the peer is a
    trusted proxy, right to left, skipping trusted proxies: the first other address is the
    client (addresses further left were written by the client and prove nothing)."""
    address = peer or "unknown"
    if not forwarded or not _trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop, trusted):
            return hop if _is_ip(hop) else address
    return address


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
