"""CSV downloads that a spreadsheet cannot turn into formulas: a cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's CSV injection advice), and
lists become one item per line inside the cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value)
    if isinstance(value, bool | int | float):
        return str(value)  # numbers (negative ones too) are data, not formulas
    text = str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def csv_chunks(
    batches: Iterable[Sequence[Mapping[str, Any]]], columns: Sequence[str]
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for rows in batches:
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    rest = buffer.getvalue()
    if rest:
        yield rest.encode()
