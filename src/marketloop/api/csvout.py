"""CSV downloads that a spreadsheet cannot turn into formulas: text cells go through the one
formula neutraliser (csvsafe.py: a leading `'` before `=`, `+`, `-`, `@`, tab or CR), numbers
stay numbers, and lists become one item per line inside the cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from marketloop.csvsafe import neutralise


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value)
    if isinstance(value, bool | int | float):
        return str(value)  # numbers (negative ones too) are data, not formulas
    return neutralise(str(value))


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
