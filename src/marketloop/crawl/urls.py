"""URL hygiene: one normal form for every URL the crawler stores or compares (pure, no I/O).

The normal form (see `crawl/schema.py`): lower-case scheme and host, IDN hosts in punycode,
default ports dropped, user info and fragment removed, dot segments resolved, an empty path
written as `/`, non-ASCII and unsafe characters percent-encoded (UTF-8), escapes of unreserved
characters decoded and the others upper-cased. Paths and queries keep their case.

    normalize("HTTP://Bücher.Example:80/a/./b/../c d#top") == "http://xn--bcher-kva.example/a/c%20d"

`PageUrls` resolves the references of one HTML page (relative, root-relative, protocol-relative,
absolute, `<base href>`), with a cache keyed so that site-wide navigation links resolve once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

import idna
import xxhash

DEFAULT_PORTS = {"http": 80, "https": 443}
_SKIPPED_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "sms:", "ftp:", "file:", "about:")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})|%")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = frozenset("/:@!$&'()*+,;=") | _UNRESERVED
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HASH_SPAN = 1 << 64


class InvalidUrl(ValueError):
    """Not an absolute http(s) URL that can be fetched."""


def normalize(url: str) -> str:
    """The normal form of an absolute http(s) URL; raises `InvalidUrl` for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"{url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidUrl(f"{url!r} is not an http(s) URL")
    host = _host(parts.hostname or "", url)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # escapes of unreserved characters first, so `%2E%2E` is a dot segment (RFC 3986 6.2.2)
    path = _ESCAPE.sub(_fix_escape, parts.path)
    path = _encode(remove_dot_segments(path) or "/", _PATH_SAFE)
    query = _encode(parts.query, _QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


def try_normalize(url: str) -> str | None:
    try:
        return normalize(url)
    except InvalidUrl:
        return None


def host_of(url: str) -> str:
    """The host of a normalised URL, without port (`127.0.0.1`, `xn--bcher-kva.example`, `::1`).

    String slicing, not `urlsplit`: it runs for every link of every page."""
    netloc = url.partition("://")[2].partition("/")[0]
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")]
    return netloc.partition(":")[0]


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a normalised URL: the unit of robots.txt and politeness."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def url_hash(url: str) -> int:
    """A signed 64-bit hash of a normalised URL (the frontier's cheap identity; SQLite INTEGER)."""
    value = xxhash.xxh3_64_intdigest(url.encode())
    return value - _HASH_SPAN if value >= _HASH_SPAN >> 1 else value


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    joined = "/".join(output)
    return joined if joined.startswith("/") or not path.startswith("/") else "/" + joined


class PageUrls:
    """Resolves the references found on one page against its base (the page or `<base href>`)."""

    __slots__ = ("base", "directory", "origin", "scheme")

    def __init__(self, page_url: str, base_href: str | None = None) -> None:
        base = page_url
        if base_href:
            resolved = resolve_reference(page_url, base_href)
            base = resolved or page_url
        self.base = base
        self.scheme = base.split(":", 1)[0]
        self.origin = origin_of(base)
        path = urlsplit(base).path or "/"
        self.directory = self.origin + path[: path.rfind("/") + 1]

    def resolve(self, href: str) -> str | None:
        """The normalised absolute URL of `href`, or None (empty, fragment-only, mailto:, ...)."""
        href = href.strip()
        if not href or href.startswith("#"):
            return None
        if href[:8].lower().startswith(("http://", "https://")):
            prefix = ""
        elif href.startswith("//"):
            prefix = self.scheme + ":"
        elif href.startswith("/"):
            prefix = self.origin
        elif href.startswith("?") or _has_scheme(href):
            return resolve_reference(self.base, href)
        else:
            prefix = self.directory
        return _resolved(prefix, href)


def resolve_reference(base: str, href: str) -> str | None:
    """`href` resolved against `base` and normalised; None when it is not an http(s) URL."""
    if not href.strip() or href.lower().startswith(_SKIPPED_SCHEMES):
        return None
    return try_normalize(urljoin(base, href.strip()))


@lru_cache(maxsize=1 << 12)  # site-wide navigation repeats; a small cache holds it
def _resolved(prefix: str, href: str) -> str | None:
    return try_normalize(prefix + href if prefix else href)


def _has_scheme(href: str) -> bool:
    head = href.split("/", 1)[0]
    return ":" in head and head.split(":", 1)[0].replace("+", "").replace(".", "").isalnum()


def _host(host: str, url: str) -> str:
    if not host:
        raise InvalidUrl(f"{url!r} has no host")
    if ":" in host:  # IPv6 literal (urlsplit dropped the brackets)
        return f"[{host}]"
    host = host.rstrip(".") or host
    if host.isascii():
        if any(c in host for c in " <>\"'\\%{}|^`") or not _dns_shaped(host):
            raise InvalidUrl(f"{url[:200]!r} has an invalid host")
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidUrl(f"{url!r} has an invalid international host: {exc}") from None


def _dns_shaped(host: str) -> bool:
    """Within DNS limits (RFC 1035): labels of 1 to 63 characters, 253 in all. Cheap for the
    usual host: one that is short and has no empty label cannot break them."""
    if len(host) <= 63 and ".." not in host and not host.startswith("."):
        return True
    return len(host) <= 253 and all(0 < len(label) <= 63 for label in host.split("."))


def _encode(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what is not `safe`; normalise existing escapes (RFC 3986 section 6.2.2)."""
    if text.isascii() and "%" not in text and all(c in safe for c in text):
        return text
    text = _ESCAPE.sub(_fix_escape, text)
    out = []
    for char in text:
        if char in safe or char == "%":
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


def _fix_escape(match: re.Match[str]) -> str:
    hexpair = match.group(1)
    if hexpair is None:  # a lone % that starts no escape
        return "%25"
    char = chr(int(hexpair, 16))
    return char if char in _UNRESERVED else f"%{hexpair.upper()}"
