import csv
from pathlib import Path

import numpy as np
import pytest

from marketloop.keywords.reader import read_serps
from marketloop.keywords.serp import normalise_url, serp_clusters, shared_url_graph

CASE = Path(__file__).parent / "cases" / "serps_star_and_chain.csv"
VOLUMES = {"alpha": 900, "bravo": 800, "charlie": 700, "papa": 600, "quebec": 500, "romeo": 400}
# alpha shares 3 URLs with bravo and 3 with charlie, who share none; papa-quebec and
# quebec-romeo share 3, papa-romeo none; zulu shares nothing with anyone.
EXPECTED = {
    "soft": [{"alpha", "bravo", "charlie"}, {"papa", "quebec"}, {"romeo"}, {"zulu"}],
    "moderate": [{"alpha", "bravo", "charlie"}, {"papa", "quebec", "romeo"}, {"zulu"}],
    "hard": [{"alpha", "bravo"}, {"charlie"}, {"papa", "quebec"}, {"romeo"}, {"zulu"}],
}


def groups(keywords: list[str], labels: np.ndarray) -> list[set[str]]:
    found: dict[int, set[str]] = {}
    for keyword, label in zip(keywords, labels.tolist(), strict=True):
        found.setdefault(label, set()).add(keyword)
    return sorted(found.values(), key=sorted)


@pytest.mark.parametrize("strictness", EXPECTED)
def test_strictness_on_a_star_and_a_chain(strictness: str) -> None:
    serps, _ = read_serps(CASE, top_n=10)
    keywords = sorted(serps)
    volumes = np.array([VOLUMES.get(k, 1) for k in keywords])
    labels = serp_clusters(keywords, volumes, serps, min_shared=3, strictness=strictness)  # type: ignore[arg-type]
    assert groups(keywords, labels) == sorted(EXPECTED[strictness], key=sorted)


def test_min_shared_raises_the_bar() -> None:
    serps, _ = read_serps(CASE, top_n=10)
    keywords = sorted(serps)
    volumes = np.ones(len(keywords), dtype=np.int64)
    labels = serp_clusters(keywords, volumes, serps, min_shared=4, strictness="moderate")
    assert groups(keywords, labels) == [{k} for k in keywords]  # no pair shares four


def test_graph_counts_shared_urls_and_skips_self() -> None:
    serps = {"a": ["u1", "u2", "u3"], "b": ["u1", "u2", "u3", "u4"], "c": ["u4"]}
    graph = shared_url_graph(["a", "b", "c"], serps, min_shared=1, block=1).toarray()
    assert graph.tolist() == [[0, 3, 0], [3, 0, 1], [0, 1, 0]]


def test_top_n_and_position_order(tmp_path: Path) -> None:
    path = tmp_path / "serps.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Keyword", "Rank", "Link"])
        writer.writerows(
            [("CRM", 3, "https://c"), ("crm", 1, "https://a"), ("crm", 2, "https://b")]
        )
    serps, _ = read_serps(path, top_n=2)
    assert serps == {"crm": ["https://a", "https://b"]}


@pytest.mark.parametrize(
    ("a", "b"),
    [("HTTPS://www.Site.com/a/", "http://site.com/a"), ("https://site.com", "https://site.com/")],
)
def test_urls_compare_without_scheme_www_or_trailing_slash(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)
