import xml.etree.ElementTree as ET

from marketloop.report import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup[: markup.index("</svg>") + len("</svg>")])


def test_gantt_places_bars_by_column_and_outlines_the_baseline() -> None:
    svg = parse(
        str(
            charts.gantt(
                [("a<b", 0, 1, "done"), ("late", 3, 2, "critical")],
                ["1", "2", "3", "4", "5"],
                ghosts={"late": 1},
                shaded=[2],
                today=2,
                colours={"done": "#16a34a"},
            )
        )
    )
    rects = svg.findall(f"{SVG}rect")
    shaded, first, ghost, second = rects
    assert shaded.get("fill") == "#f3f4f6"
    assert ghost.get("stroke-dasharray") and ghost.get("fill") == "none"
    assert first.get("fill") == "#16a34a"
    assert second.get("fill") == charts.SEMANTIC["critical"]
    assert float(second.get("x", 0)) > float(ghost.get("x", 0)) > float(first.get("x", 0))
    assert float(second.get("width", 0)) > 1.9 * float(first.get("width", 0))
    assert svg.find(f"{SVG}line") is not None
    assert "a&lt;b" in ET.tostring(svg, encoding="unicode")


def test_gantt_without_rows_says_so() -> None:
    assert "No data" in charts.gantt([], ["1"])


def test_legend_takes_explicit_colours() -> None:
    assert "#123456" in charts.legend(["done"], {"done": "#123456"})
