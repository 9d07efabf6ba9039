"""Defect 6 of issue 14: keyword CSVs as spreadsheets really write them. CR-only line endings,
a CR inside a quoted field and a binary file gave `_csv.Error` tracebacks; an unterminated
quote merged the following rows into one keyword; a negative volume became 0 silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.hostile import MARKUP, run

from marketloop.errors import KeywordsError
from marketloop.keywords.reader import read_keywords

ROWS = [("crm software", 1900), ("lead scoring", 880), (f"{MARKUP} tool", 10)]


def excel(rows: list[tuple[str, int]], newline: str = "\r\n", delimiter: str = ",") -> str:
    lines = [f"Keyword{delimiter}Volume"]
    lines += [f'"{k.replace(chr(34), chr(34) * 2)}"{delimiter}{v}' for k, v in rows]
    return newline.join(lines) + newline


def read(tmp_path: Path, data: bytes) -> list[tuple[str, int]]:
    path = tmp_path / "keywords.csv"
    path.write_bytes(data)
    return [(r.keyword, r.volume) for r in read_keywords(path)[0]]


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("CR only (Excel for Mac)", excel(ROWS, "\r").encode()),
        ("CRLF", excel(ROWS).encode()),
        ("LF", excel(ROWS, "\n").encode()),
        ("BOM + CRLF", b"\xef\xbb\xbf" + excel(ROWS).encode()),
        ("UTF-16 (Excel 'Unicode text')", excel(ROWS, delimiter="\t").encode("utf-16")),
        ("semicolons (European Excel)", excel(ROWS, delimiter=";").encode("utf-8-sig")),
        ("semicolons + CR", excel(ROWS, "\r", ";").encode()),
    ],
)
def test_what_spreadsheets_write_is_read(tmp_path: Path, label: str, data: bytes) -> None:
    assert read(tmp_path, data) == ROWS, label


def test_a_cr_inside_a_quoted_field_of_another_column(tmp_path: Path) -> None:
    data = b'Keyword,Volume,Notes\r\ncrm,10,"line one\rline two"\r\nseo,20,"a\r\nb"\r\n'
    assert read(tmp_path, data) == [("crm", 10), ("seo", 20)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'Keyword,Volume\ncrm,10\n"lead scoring,20\nseo,30"\nads,40\n',
            "line 3: the keyword spans",
        ),
        (b'Keyword,Volume\ncrm,10\nseo,"30\nads,40\n', "line 3: a quote is never closed"),
        (b'Keyword,Volume\r\ncrm,10\r"lead,20\rseo,30\r', "line 3"),
        (bytes(range(256)) * 8, "binary file"),
        (b"\xff\xfeK\x00e\x00y\x00w\x00o\x00r\x00d", "UTF-16 .* cut short"),  # odd length
        (excel(ROWS).encode("utf-16-le"), "binary file"),  # UTF-16 without its BOM
        (
            b"Keyword,Volume\ncrm," + b"9" * 1_100_000 + b"\n",
            "line 2: a field is over 131,072 characters",
        ),
    ],
)
def test_what_cannot_be_read_is_refused_with_its_line(
    tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(KeywordsError, match=message):
        read(tmp_path, data)


def test_a_negative_volume_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "keywords.csv"
    path.write_text("Keyword,Volume\ncrm,-100\nseo,5\n")
    records, report = read_keywords(path)
    assert [r.volume for r in records] == [0, 5]
    assert "negative volumes treated as 0: row 2: -100" in report.notes()


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_the_cli_clusters_an_excel_file_and_refuses_a_broken_one(
    tmp_path: Path, newline: str
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(excel([*ROWS, ("crm tools", 5), ("crm app", 4)], newline), newline="")
    outcome = run("keywords", "cluster", str(good), "--mode", "lexical", "-w", str(tmp_path / "w"))
    assert outcome.code == 0, outcome.stderr
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'Keyword,Volume\ncrm,10\n"lead,20\nseo,30\n')
    outcome = run("keywords", "cluster", str(bad), "--mode", "lexical", "-w", str(tmp_path / "w"))
    assert outcome.code == 3 and outcome.error_lines == [
        f"error: {bad}: line 3: a quote is never closed"
    ]
