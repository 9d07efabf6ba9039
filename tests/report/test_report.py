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


HOSTILE_LABEL = "<script>x</script> \"'& =1+2 [/b]\x07"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    "chart",
    [
        charts.hbar([(HOSTILE_LABEL, 3), ("b", 1)], unit=" h"),
        charts.line({HOSTILE_LABEL: [1, 2]}, ["r1", HOSTILE_LABEL]),
        charts.stacked_bars([HOSTILE_LABEL, "d2"], {"x": [1, 3]}),
        charts.gantt([(HOSTILE_LABEL, 0, 2, "done")], ["d1", "d2"], title=HOSTILE_LABEL * 2),
    ],
    ids=["hbar", "line", "stacked_bars", "gantt"],
)
def test_every_chart_has_an_accessible_name(chart: str) -> None:
    """role="img" with an aria-label and a first <title>, both the same escaped summary."""
    svg = parse(str(chart))
    assert svg.get("role") == "img"
    name = svg.get("aria-label") or ""
    assert len(name) > 10 and "<script>x</script>" in name  # escaped in the markup, parsed back
    first = next(iter(svg))
    assert first.tag == f"{SVG}title" and first.text == name
    assert "<script>" not in str(chart)


def test_a_given_title_and_a_renamed_chart() -> None:
    chart = charts.hbar([("a", 1)], title="Pages by status")
    assert parse(str(chart)).get("aria-label") == "Pages by status"
    renamed = charts.named(chart, 'Top <checks> "now"')
    svg = parse(str(renamed))
    assert svg.get("aria-label") == 'Top <checks> "now"' == next(iter(svg)).text
    assert str(renamed).count("aria-label=") == 1
    assert charts.named(charts.hbar([]), "x") == charts.hbar([])  # "No data" stays as it is
