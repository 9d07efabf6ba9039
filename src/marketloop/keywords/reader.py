"""Reading keyword files and SERP snapshots as SEO tools export them.

Headers are matched case-insensitively with the aliases of common exports (Semrush, Ahrefs,
Google Keyword Planner, Search Console); UTF-16 (by its BOM) is read as such, anything else as
UTF-8 (with or without BOM) line by line: a line that is not valid UTF-8 falls back to cp1252
then latin-1 on its own, so the valid UTF-8 of the other lines is kept, and the lines that fell
back are reported. Line endings may be LF, CRLF or CR alone (old Excel for Mac), also inside
quoted fields; the delimiter is a comma, tab or semicolon (Excel in many locales). Duplicates
are merged (highest volume, best position), empty lines skipped, unreadable numbers treated as
missing and negative volumes as 0, both reported: nothing the file holds is silently lost.
What cannot be read is refused with its line: a quote that is never closed, a keyword that
spans lines, a field over 128 KiB, a binary file.
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketloop.errors import KeywordsError
from marketloop.keywords.model import KeywordRecord

KEYWORD_ALIASES = {
    "keyword": ("keyword", "keywords", "query", "queries", "top queries", "search term", "term"),
    "volume": ("volume", "search volume", "avg monthly searches", "monthly searches", "sv"),
    "difficulty": ("difficulty", "keyword difficulty", "kd", "keyword difficulty index"),
    "cpc": ("cpc", "cost per click", "top of page bid high range"),
    "position": ("position", "current position", "rank", "ranking", "pos", "current rank"),
    "url": ("url", "current url", "ranking url", "landing page", "page"),
}
SERP_ALIASES = {
    "keyword": KEYWORD_ALIASES["keyword"],
    "position": ("position", "rank", "pos", "result position"),
    "url": ("url", "link", "result url", "result"),
}
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_MISSING = {"", "-", "n/a", "na", "none", "null"}


@dataclass
class ReadReport:
    """What reading a file noticed; printed by the CLI, never fatal."""

    path: Path
    encoding: str = "utf-8"  # "utf-8" or "utf-16"
    fallback_lines: dict[int, str] = field(default_factory=dict)  # not UTF-8: line -> encoding
    rows: int = 0
    empty_lines: int = 0
    duplicates: int = 0
    bad_values: list[str] = field(default_factory=list)  # "row 7: volume 'abc'"
    negative: list[str] = field(default_factory=list)  # "row 7: -100"

    def notes(self) -> list[str]:
        notes = []
        for encoding in sorted(set(self.fallback_lines.values())):
            lines = [n for n, e in self.fallback_lines.items() if e == encoding]
            shown = ", ".join(map(str, lines[:10])) + (" …" if len(lines) > 10 else "")
            notes.append(
                f"{self.path.name}: {len(lines)} line(s) not UTF-8, decoded as {encoding} "
                f"(line {shown}); save the file as UTF-8 to be sure"
            )
        if self.empty_lines:
            notes.append(f"skipped {self.empty_lines} empty line(s)")
        if self.duplicates:
            notes.append(f"merged {self.duplicates} duplicate keyword(s)")
        if self.bad_values:
            shown = "; ".join(self.bad_values[:5])
            more = f" and {len(self.bad_values) - 5} more" if len(self.bad_values) > 5 else ""
            notes.append(f"unreadable numbers treated as missing: {shown}{more}")
        if self.negative:
            more = f" and {len(self.negative) - 5} more" if len(self.negative) > 5 else ""
            shown = "; ".join(self.negative[:5])
            notes.append(f"negative volumes treated as 0: {shown}{more}")
        return notes


def read_keywords(path: Path) -> tuple[list[KeywordRecord], ReadReport]:
    """The keywords of a CSV/TSV export, duplicates merged, in file order."""
    report = ReadReport(path)
    rows, columns = _read_table(path, KEYWORD_ALIASES, ("keyword",), report)
    merged: dict[str, KeywordRecord] = {}
    for line, row in rows:
        record = _record(row, columns, line, report)
        key = normalise(record.keyword)
        if key in merged:
            report.duplicates += 1
            merged[key] = _merge(merged[key], record)
        else:
            merged[key] = record
    if not merged:
        raise KeywordsError(f"{path} has no keywords", hint="the file has a header but no rows")
    return list(merged.values()), report


def read_serps(path: Path, top_n: int) -> tuple[dict[str, list[str]], ReadReport]:
    """Top `top_n` result URLs per keyword (normalised), ordered by position.

    A lean loop: SERP files run to millions of rows (ten per keyword).
    """
    report = ReadReport(path)
    rows, columns = _read_table(path, SERP_ALIASES, ("keyword", "url"), report)
    keyword_at, url_at, position_at = columns["keyword"], columns["url"], columns.get("position")
    ranked: dict[str, list[tuple[float, str]]] = {}
    raw_keyword, entries = "", []
    for line, row in rows:
        url = row[url_at].strip() if url_at < len(row) else ""
        if not url:
            continue
        if row[keyword_at] != raw_keyword:  # rows come grouped by keyword
            raw_keyword = row[keyword_at]
            entries = ranked.setdefault(normalise(raw_keyword), [])
        position = _number(row, position_at, "position", line, report)
        rank = position if position is not None else len(entries) + 1
        entries.append((rank, sys.intern(url)))  # result URLs repeat across keywords
    return {k: [u for _, u in sorted(v)[:top_n]] for k, v in ranked.items()}, report


def normalise(keyword: str) -> str:
    """How keywords are compared: lower case, single spaces."""
    return " ".join(keyword.lower().split())


def decode(data: bytes) -> tuple[str, str, dict[int, str]]:
    """The text of a file, its encoding (utf-16 by BOM, else utf-8) and the lines that are not
    UTF-8 with the encoding each was decoded with (cp1252, else latin-1).

    Decoding line by line keeps a file whose rows were saved by different tools intact: one
    cp1252 row does not turn the other rows' UTF-8 into mojibake (brûlée -> brÃ»lÃ©e).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", {}
    try:
        return data.decode("utf-8-sig"), "utf-8", {}
    except UnicodeDecodeError:
        pass
    texts: list[str] = []
    fallback: dict[int, str] = {}
    for number, line in enumerate(data.split(b"\n"), start=1):  # \n is never inside a UTF-8 char
        try:
            texts.append(line.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError:
            text, fallback[number] = _decode_legacy(line)
            texts.append(text)
    return "\n".join(texts), "utf-8", fallback


def _decode_legacy(line: bytes) -> tuple[str, str]:
    for encoding in FALLBACK_ENCODINGS:
        try:
            return line.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _read_table(
    path: Path, aliases: dict[str, tuple[str, ...]], required: Iterable[str], report: ReadReport
) -> tuple[Iterator[tuple[int, list[str]]], dict[str, int]]:
    """The column of each field, and the non-empty rows with their line numbers (streamed, so
    a million SERP rows never sit in memory as lists)."""
    try:
        text, report.encoding, report.fallback_lines = decode(path.read_bytes())
    except OSError as exc:
        raise KeywordsError(f"cannot read {path}: {exc.strerror}", hint="check the path") from None
    except UnicodeDecodeError:  # only UTF-16 can fail: UTF-8 falls back line by line
        raise KeywordsError(
            f"{path} starts as UTF-16 (byte-order mark) but is cut short or damaged",
            hint="export the keyword list again",
        ) from None
    body = text.lstrip("\r\n\t ")
    if not body:
        raise KeywordsError(f"{path} is empty", hint="export the keyword list again")
    if "\x00" in body:
        raise KeywordsError(
            f"{path} is a binary file (or UTF-16 without a byte-order mark), not CSV text",
            hint="export the keyword list as CSV (UTF-8, or UTF-16 as Excel writes it)",
        )
    skipped = len(_LINE_BREAK.findall(text[: len(text) - len(body)]))
    # newline="": the csv module sees CR, LF and CRLF as they are, inside quotes too
    dialect = _dialect(_LINE_BREAK.split(body, 1)[0])
    reader = csv.reader(io.StringIO(body, newline=""), dialect, strict=True)
    header = _checked(path, reader, skipped)[1]
    columns = _columns(header, aliases)
    missing = [name for name in required if name not in columns]
    if missing:
        found = ", ".join(repr(h.strip()) for h in header) or "nothing"
        raise KeywordsError(
            f"{path} has no {' or '.join(missing)} column; found: {found}",
            hint="accepted names: " + "; ".join(f"{m}: {', '.join(aliases[m])}" for m in missing),
        )
    return _rows(path, reader, columns["keyword"], skipped, report), columns


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _checked(path: Path, reader: Any, skipped: int) -> tuple[int, list[str]]:
    """The next row and the line it starts on; a KeywordsError naming that line when the
    csv module cannot read it (a field over `csv.field_size_limit()`, 128 KiB, included)."""
    line = skipped + reader.line_num + 1
    try:
        row: list[str] = next(reader)
    except csv.Error as exc:
        reason = (
            "a quote is never closed"
            if "end of data" in str(exc)
            else f"a field is over {csv.field_size_limit():,} characters"
            if "field limit" in str(exc)
            else str(exc)
        )
        raise KeywordsError(
            f"{path}: line {line}: {reason}",
            hint='fix that line (a quote inside a value is written twice: "")',
        ) from None
    return line, row


def _rows(
    path: Path, reader: Any, keyword_at: int, skipped: int, report: ReadReport
) -> Iterator[tuple[int, list[str]]]:
    while True:
        try:
            number, row = _checked(path, reader, skipped)
        except StopIteration:
            return
        if keyword_at >= len(row) or not row[keyword_at].strip():
            report.empty_lines += 1
            continue
        if _LINE_BREAK.search(row[keyword_at]):
            raise KeywordsError(
                f"{path}: line {number}: the keyword spans several lines "
                "(a quote opened there is closed only later)",
                hint="close the quote on that line, or remove it",
            )
        report.rows += 1
        yield number, row


def _dialect(header: str) -> type[csv.Dialect]:
    delimiter = max(",\t;", key=header.count)
    return csv.excel_tab if delimiter == "\t" else _Semicolon if delimiter == ";" else csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def _columns(header: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    names = [_header_key(cell) for cell in header]
    columns: dict[str, int] = {}
    for field_name, accepted in aliases.items():
        for i, name in enumerate(names):
            if name in accepted:
                columns[field_name] = i
                break
    return columns


def _header_key(cell: str) -> str:
    """'Keyword Difficulty (%)' -> 'keyword difficulty'; 'Avg. monthly searches' likewise."""
    cell = re.sub(r"\(.*?\)|[%.]", " ", cell.lower().lstrip("\ufeff"))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", cell).split())


def _record(
    row: list[str], columns: dict[str, int], line: int, report: ReadReport
) -> KeywordRecord:
    volume = _number(row, columns.get("volume"), "volume", line, report)
    position = _number(row, columns.get("position"), "position", line, report)
    url = _cell(row, columns.get("url"))
    return KeywordRecord(
        keyword=" ".join(row[columns["keyword"]].split()),
        volume=_volume(volume, line, report),
        difficulty=_number(row, columns.get("difficulty"), "difficulty", line, report),
        cpc=_number(row, columns.get("cpc"), "cpc", line, report),
        position=position if position and position > 0 else None,  # 0: not ranking
        url=url or None,
    )


def _volume(volume: float | None, line: int, report: ReadReport) -> int:
    if volume is not None and volume < 0:
        report.negative.append(f"row {line}: {volume:g}")
    return max(0, int(min(volume or 0, 1e15)))


def _cell(row: list[str], at: int | None) -> str:
    return row[at].strip() if at is not None and at < len(row) else ""


def _number(
    row: list[str], at: int | None, name: str, line: int, report: ReadReport
) -> float | None:
    if at is None or at >= len(row):
        return None
    raw = row[at]
    try:
        value = float(raw)  # the common case: a plain number
    except ValueError:
        raw = raw.strip()
    else:
        if math.isfinite(value):
            return value
    if raw.lower() in _MISSING:
        return None
    cleaned = raw.replace("\u00a0", "").replace(" ", "").replace(",", "").replace("$", "")
    try:
        value = float(cleaned.replace("%", ""))
    except ValueError:
        value = math.nan
    if math.isfinite(value):
        return value
    report.bad_values.append(f"row {line}: {name} {raw!r}")
    return None


def _merge(first: KeywordRecord, other: KeywordRecord) -> KeywordRecord:
    """Highest volume; the best (lowest) position with its URL; first known of the rest."""
    ranked = [r for r in (first, other) if r.position is not None]
    best = min(ranked, key=lambda r: r.position or 0) if ranked else first
    return first.model_copy(
        update={
            "volume": max(first.volume, other.volume),
            "difficulty": first.difficulty if first.difficulty is not None else other.difficulty,
            "cpc": first.cpc if first.cpc is not None else other.cpc,
            "position": best.position,
            "url": best.url if ranked else (first.url or other.url),
        }
    )
