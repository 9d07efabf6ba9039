import xml.etree.ElementTree as ET

import pytest

from marketloop.report import charts, environment, render, write_report


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg[: svg.index("</svg>") + len("</svg>")])


def test_hbar_scales_to_the_largest_value_and_escapes_labels() -> None:
    svg = str(charts.hbar([("a<b", 10), ("critical", 5)]))
    rects = parse(svg).findall("{http://www.w3.org/2000/svg}rect")
    widths = [float(r.get("width", 0)) for r in rects]
    assert widths[0] == 2 * widths[1]
    assert "a&lt;b" in svg
    assert rects[1].get("fill") == charts.SEMANTIC["critical"]


def test_line_breaks_at_missing_values() -> None:
    svg = str(charts.line({"rows": [1, 2, None, 4, 5]}, ["r1", "r2", "r3", "r4", "r5"]))
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4


def test_stacked_bars_segment_heights_add_up() -> None:
    svg = str(charts.stacked_bars(["d1", "d2"], {"x": [1, 3], "y": [1, 0]}))
    rects = parse(svg).findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) == 3  # the zero segment is not drawn


def test_empty_data_says_so() -> None:
    assert "No data" in charts.hbar([])
    assert "No data" in charts.line({}, [])


def test_base_template_is_self_contained(tmp_path) -> None:  # type: ignore[no-untyped-def]
    html = render("marketloop.report", "base.html", title="T <x>")
    assert "<style>" in html and "T &lt;x&gt;" in html
    assert "http" not in html.split("<body>")[0].replace("http://www.w3.org", "")
    path = write_report(tmp_path / "r" / "x.html", html)
    assert path.read_text() == html


@pytest.mark.parametrize(
    ("url", "linked"),
    [("https://example.com/a", True), ("http://x.test", True), ("javascript:alert(1)", False),
     ("/relative", False), ("", False)],
)  # fmt: skip
def test_only_web_urls_are_links(url: str, linked: bool) -> None:
    template = environment("marketloop.report").from_string(
        "{% if url is web_url %}<a href='{{ url }}'>{{ url }}</a>{% else %}{{ url }}{% endif %}"
    )
    assert template.render(url=url).startswith("<a ") is linked
