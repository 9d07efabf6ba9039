"""The URL list of a list-mode crawl (`marketloop crawl --list FILE`), read and checked.

`--list` also takes a sitemap URL (`is_url`): the crawler then reads that sitemap instead.

One URL per line; blank lines and lines starting with `#` are skipped; every URL is put in
normal form (`urls.normalize`) and repeats are dropped, keeping the first. A line that is not
an http(s) URL stops the crawl before it starts, naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from marketloop.crawl.urls import InvalidUrl, normalize
from marketloop.errors import UsageError

MAX_LINE = 8_192


def is_url(source: str) -> bool:
    """Whether a --list argument is a URL (a sitemap to read) rather than a file name."""
    return source.strip()[:8].lower().startswith(("http://", "https://"))


def read_url_list(path: Path) -> list[str]:
    """The file's URLs, read a line at a time: a huge file costs the memory of its URLs only,
    and a line beyond `MAX_LINE` is refused without reading the rest of it."""
    try:
        with path.open(encoding="utf-8-sig", newline=None) as file:
            return parse_url_lines(iter(lambda: file.readline(MAX_LINE + 2), ""), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read the URL list {path}: {getattr(exc, 'strerror', None) or exc}",
            hint="give a UTF-8 text file with one URL per line",
        ) from None


def parse_url_list(text: str, name: str = "the URL list") -> list[str]:
    return parse_url_lines(text.splitlines(), name)


def parse_url_lines(lines: Iterable[str], name: str = "the URL list") -> list[str]:
    urls: dict[str, None] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if len(line) > MAX_LINE:
                raise InvalidUrl(f"a line of more than {MAX_LINE:,} characters")
            urls.setdefault(normalize(line), None)
        except InvalidUrl as exc:
            raise UsageError(
                f"{name} line {number}: {exc}",
                hint="one absolute http(s) URL per line; # starts a comment",
            ) from None
    if not urls:
        raise UsageError(f"{name} holds no URL", hint="one absolute http(s) URL per line")
    return list(urls)
