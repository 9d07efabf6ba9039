"""CSV cells a spreadsheet will not run: the one guard against CSV (formula) injection.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (`=HYPERLINK("https://evil.test","click")` in a crawled
title becomes a live link; `=cmd|...` worse). As OWASP recommends, such a cell is prefixed
with a single quote, which spreadsheets show as text and hide. Every CSV marketloop writes from
outside text goes through here: `clikit.rows_to_csv` (every `--format csv`, the plan export,
the keyword gaps), the API's CSV downloads and the Jira CSV attachment (`api/csvout.safe_cell`),
and the Arrow writer of `marketloop crawl-export` (`neutralise_batch`). Numbers are
left as they are: only text cells are changed.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = "^[=+\\-@\\t\\r]"


def neutralise(value: str) -> str:
    """`value`, prefixed with `'` when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(PREFIXES) else value


def neutralise_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Every text column of `batch` neutralised (vectorised, for large exports)."""
    columns = [_neutralise_array(column) for column in batch.columns]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _neutralise_array(array: pa.Array) -> pa.Array:
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    risky = pc.match_substring_regex(array, _PATTERN)
    if not pc.any(risky).as_py():
        return array
    quoted = pc.binary_join_element_wise(
        pa.scalar("'", array.type), array, pa.scalar("", array.type)
    )
    return pc.if_else(risky, quoted, array)
