"""robots.txt rules of one origin, read the way Google reads them (protego parser).

How the response decides the rules (Google's documented behaviour):

- 2xx: the body is parsed (first 500 KiB); garbage parses to "allow everything".
- 2xx whose body then broke off (timeout, reset, bad compression): incomplete data, which
  Google treats like a server error, so the origin is disallowed as for 5xx. A body over
  500 KiB is not broken: its first 500 KiB are parsed.
- 4xx other than 429: no rules, everything is allowed.
- 429 or 5xx: the whole origin is treated as disallowed, because the site may be in trouble;
  the crawl says so and `--ignore-robots` overrides it.
- no response at all (DNS, refused, TLS, timeout): no rules, so each page's own fetch records
  the real error instead of a misleading "blocked by robots.txt".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024


@dataclass
class RobotsRules:
    origin: str
    parser: Protego | None = None
    disallow_all: bool = False
    note: str | None = None  # why the rules are what they are, when that is worth saying
    sitemaps: list[str] = field(default_factory=list)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def rules_from_response(
    origin: str, status: int | None, body: bytes, error: str | None
) -> RobotsRules:
    robots_url = f"{origin}/robots.txt"
    if status is None:
        return RobotsRules(origin, note=f"{robots_url} could not be fetched ({error})")
    if status == 429 or status >= 500:
        return _disallow_all(origin, f"{robots_url} answered {status}")
    if status < 300 and error is not None and error != "too_large":
        return _disallow_all(
            origin, f"{robots_url} answered {status}, then its body broke off ({error})"
        )
    if status >= 400:
        return RobotsRules(origin)
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
    try:
        parser = Protego.parse(text)
    except Exception as exc:  # protego is lenient, but never let a robots.txt stop a crawl
        return RobotsRules(origin, note=f"{robots_url} could not be parsed ({exc}): ignored")
    return RobotsRules(origin, parser=parser, sitemaps=[str(s) for s in parser.sitemaps])


def _disallow_all(origin: str, why: str) -> RobotsRules:
    note = f"{why}: the origin is treated as disallowed (use --ignore-robots to crawl it anyway)"
    return RobotsRules(origin, disallow_all=True, note=note)
