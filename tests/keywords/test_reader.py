from pathlib import Path

import pytest

from marketloop.errors import KeywordsError
from marketloop.keywords.reader import read_keywords


def write(tmp_path: Path, data: bytes | str, name: str = "keywords.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_seo_tool_headers_and_duplicates_are_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffKeyword,Search Volume,Keyword Difficulty,CPC (USD),Current position,URL\n"
        "Lead Scoring,1\u00a0200,45,3.10,12,https://site/a\n"
        "\n"
        "lead  scoring,900,,,4,https://site/b\n"
        'crm sync,"2,400",n/a,,0,\n'
        ",,,,,\n",
    )
    records, report = read_keywords(path)
    assert [(r.keyword, r.volume, r.position, r.url) for r in records] == [
        ("Lead Scoring", 1200, 4, "https://site/b"),  # max volume, best position with its URL
        ("crm sync", 2400, None, None),  # position 0 = not ranking
    ]
    assert records[0].difficulty == 45 and records[1].difficulty is None
    assert report.duplicates == 1 and report.empty_lines == 2
    assert report.notes() == ["skipped 2 empty line(s)", "merged 1 duplicate keyword(s)"]


def test_cp1252_bytes_are_decoded_and_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "keyword,volume\ncaf\xe9 marketing,10\n\u201csmart\u201d quotes,5\n".encode("cp1252"),
    )
    records, report = read_keywords(path)
    assert [r.keyword for r in records] == ["café marketing", "\u201csmart\u201d quotes"]
    assert report.fallback_lines == {2: "cp1252", 3: "cp1252"}
    assert "2 line(s) not UTF-8, decoded as cp1252 (line 2, 3)" in report.notes()[0]


def test_a_file_with_rows_in_two_encodings_keeps_the_utf8_rows(tmp_path: Path) -> None:
    data = (
        b"keyword,volume\n"
        + "crème brûlée recipe,40\n".encode()  # written by one tool in UTF-8
        + "café marketing,10\n".encode("cp1252")  # appended by another in cp1252
        + "\u00fcber seo,5\n".encode()
    )
    records, report = read_keywords(write(tmp_path, data))
    assert [r.keyword for r in records] == ["crème brûlée recipe", "café marketing", "über seo"]
    assert report.fallback_lines == {3: "cp1252"}
    assert report.notes() == [
        "keywords.csv: 1 line(s) not UTF-8, decoded as cp1252 (line 3); save the file as UTF-8 "
        "to be sure"
    ]


def test_bytes_cp1252_cannot_decode_fall_back_to_latin1_for_that_line(tmp_path: Path) -> None:
    data = "keyword\nbrûlée\n".encode() + b"odd \x81 byte\n"  # 0x81 is undefined in cp1252
    records, report = read_keywords(write(tmp_path, data))
    assert [r.keyword for r in records] == ["brûlée", "odd \x81 byte"]
    assert report.fallback_lines == {3: "latin-1"}


def test_utf16_tab_separated_ahrefs_export(tmp_path: Path) -> None:
    text = "Keyword\tVolume\tKD\tCPC\n\u00fcber marketing\t300\t12\t1.5\n"
    records, report = read_keywords(write(tmp_path, text.encode("utf-16")))
    assert (records[0].keyword, records[0].volume, records[0].difficulty) == (
        "über marketing",
        300,
        12,
    )
    assert report.notes() == []


def test_semicolon_separated_file(tmp_path: Path) -> None:
    records, _ = read_keywords(write(tmp_path, "Query;Impressions\nseo audit;40\n"))
    assert records[0].keyword == "seo audit" and records[0].volume == 0  # no volume column


def test_unreadable_numbers_are_kept_as_missing_and_reported(tmp_path: Path) -> None:
    records, report = read_keywords(write(tmp_path, "keyword,volume\nab test,lots\ncrm,nan\n"))
    assert [r.volume for r in records] == [0, 0]
    assert report.bad_values == ["row 2: volume 'lots'", "row 3: volume 'nan'"]


def test_missing_keyword_column_names_what_was_found(tmp_path: Path) -> None:
    path = write(tmp_path, "Term Text,Volume\nab test,10\n")
    with pytest.raises(KeywordsError) as caught:
        read_keywords(path)
    message = str(caught.value)
    assert "no keyword column" in message and "'Term Text', 'Volume'" in message
    assert "Search term" in message or "search term" in message  # the accepted aliases


@pytest.mark.parametrize(
    ("content", "problem"), [("", "is empty"), ("keyword,volume\n\n", "has no keywords")]
)
def test_empty_files(tmp_path: Path, content: str, problem: str) -> None:
    with pytest.raises(KeywordsError, match=problem):
        read_keywords(write(tmp_path, content))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeywordsError, match="cannot read"):
        read_keywords(tmp_path / "nope.csv")
