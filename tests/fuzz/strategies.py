"""Hypothesis strategies for hostile input: what strangers type, export and crawl.

Text with Rich markup, HTML, formula prefixes, control characters, RTL marks and lone
surrogates; huge, negative and non-finite numbers; dates far out of range; files that are
binary, empty, truncated, 1 MB on one line, CSVs in every spreadsheet dialect (CR, CRLF, BOM,
UTF-16, `;`), YAML bombs and deep nesting, JSON of the wrong shape.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st
from tests.hostile import CONTROL, FORMULA, HTML, MARKUP

NASTY = [
    MARKUP,
    HTML,
    FORMULA,
    CONTROL,
    "[/]",
    "[bold]",
    "\u202e\u2066x",
    "\ud800",
    "\udcff",
    "",
    " ",
    "-",
    "--",
    "-h",
    "..",
    "../../etc/passwd",
    "%s%n%x",
    "{0}{}",
    "${HOME}",
    "'; DROP",
    "x" * 100_000,
    "é" * 5_000,
    "0",
    "-1",
    "99999999999",
    "9" * 400,
    "nan",
    "inf",
    "-inf",
    "1e309",
    "0x10",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "99999999999daysAgo",
    "today",
]
#: argv cannot hold NUL (C strings); every other code point can, surrogates included
ARG_CHARS = st.characters(exclude_characters="\x00")
TEXT = st.one_of(st.sampled_from(NASTY), st.text(ARG_CHARS, max_size=40))
NUMBER = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "-0",
            "1",
            "99999999999",
            "9" * 400,
            "nan",
            "inf",
            "1e309",
            "1.5",
            "",
            "x",
            "0b1",
            "٣",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
MOMENT = st.one_of(
    st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "2026-12-08",
            "2026-12-08T25:00",
            "2026-12-08T10:00+14:00",
            "2026-13-01",
            "yesterday",
            "",
            "1e9",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    TEXT,
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])


@st.composite
def csv_bytes(draw: st.DrawFn, header: tuple[str, ...] = ("Keyword", "Volume")) -> bytes:
    """A CSV as some spreadsheet or tool might write it, often hostile, sometimes cut short."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(NEWLINES)
    cell = st.one_of(TEXT, NUMBER, st.just('"unterminated'), st.just('a"b'))
    rows = draw(st.lists(st.lists(cell, min_size=1, max_size=4), max_size=6))
    quote = draw(st.booleans())
    lines = [delimiter.join(header)] * draw(st.sampled_from([1, 1, 1, 2, 0]))
    for row in rows:
        cells = [f'"{c.replace(chr(34), chr(34) * 2)}"' if quote else c for c in row]
        lines.append(delimiter.join(cells))
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    encoding = draw(ENCODINGS)
    # a lone surrogate survives only in the UTF codecs (a broken file); the others replace it
    lone = "\ud800" in text and encoding.startswith("utf")
    data = text.encode(encoding, "surrogatepass" if lone else "replace")
    cut = draw(st.sampled_from([None, None, None, len(data) // 2, 1]))
    return data[:cut] if cut is not None else data


YAML_BOMB = (
    b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    b"e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
)
RECURSIVE_YAML = b"a: &a [*a]\n"


@st.composite
def document_bytes(draw: st.DrawFn) -> bytes:
    """A YAML or JSON document a person edited by hand, or anything but."""
    value = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(TEXT, children, max_size=3)
        ),
        max_leaves=8,
    )
    as_json = json.dumps(draw(value), ensure_ascii=False).encode("utf-8", "surrogatepass")
    return draw(
        st.sampled_from(
            [
                YAML_BOMB,
                RECURSIVE_YAML,
                b"[" * 20_000,
                b"key: [unclosed",
                b"\xff\xfe\x00x",
                b"",
                b"- " * 5000,
                b"!!python/object/apply:os.system [echo pwned]",
                as_json,
            ]
        )
    )


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    return draw(
        st.one_of(
            csv_bytes(),
            document_bytes(),
            st.binary(max_size=4096),
            st.sampled_from(
                [b"", b"\n", b"x" * 1_100_000 + b"\n", b"PAR1" + b"\x00" * 64 + b"PAR1"]
            ),
        )
    )
