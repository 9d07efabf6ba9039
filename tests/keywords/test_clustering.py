import sys

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from marketloop.errors import KeywordsError
from marketloop.keywords.config import KeywordsSettings
from marketloop.keywords.leader import leader_clusters
from marketloop.keywords.lexical import lexical_clusters
from marketloop.keywords.pipeline import cluster_keywords
from marketloop.keywords.semantic import load_model
from marketloop.sample.keywords import generate


@pytest.mark.parametrize(("size", "threshold", "floor"), [(90, 0.5, 0.9), (2000, 0.6, 0.9)])
def test_lexical_recovers_planted_topics(size: int, threshold: float, floor: float) -> None:
    sample = generate(size, seed=7)
    keywords = [r.keyword for r in sample.records]
    volumes = np.array([r.volume for r in sample.records])
    labels = lexical_clusters(keywords, volumes, threshold=threshold)
    assert adjusted_rand_score(sample.labels, labels) >= floor


def test_leader_is_the_highest_volume_member_and_chains_do_not_merge() -> None:
    # a-b and b-c are similar, a-c are not: a chain that connected components would merge
    vectors = np.array([[1, 0, 0], [0.8, 0.6, 0], [0.28, 0.96, 0]], dtype=np.float32)
    labels = leader_clusters(vectors, np.array([10, 5, 1]), threshold=0.7)
    assert labels.tolist() == [0, 0, 2]
    labels = leader_clusters(vectors, np.array([5, 10, 1]), threshold=0.7)  # b leads now
    assert labels.tolist() == [1, 1, 1]


def test_leader_blocks_give_the_same_answer_as_one_block() -> None:
    sample = generate(300, seed=3)
    from marketloop.keywords.lexical import tfidf_vectors

    vectors = tfidf_vectors([r.keyword for r in sample.records])
    volumes = np.array([r.volume for r in sample.records])
    one = leader_clusters(vectors, volumes, threshold=0.6, block=10_000)
    many = leader_clusters(vectors, volumes, threshold=0.6, block=7)
    assert one.tolist() == many.tolist()


def test_clusters_are_named_described_and_cover_every_keyword() -> None:
    sample = generate(60, seed=7)
    clusters = cluster_keywords(sample.records, KeywordsSettings(mode="lexical"))
    assert sorted(k for c in clusters for k in c.keywords) == sorted(
        r.keyword for r in sample.records
    )
    for cluster in clusters:
        assert cluster.cluster == max(cluster.members, key=lambda m: m.volume).keyword
        assert cluster.volume == sum(m.volume for m in cluster.members)
        assert all(m.intent is not None for m in cluster.members)
    assert max(c.opportunity for c in clusters) == 10
    assert [c.opportunity for c in clusters] == sorted(
        (c.opportunity for c in clusters), reverse=True
    )


def test_serp_mode_without_snapshots_says_what_to_pass() -> None:
    with pytest.raises(KeywordsError, match="--serp FILE"):
        cluster_keywords(generate(10).records, KeywordsSettings(mode="serp"))


def test_semantic_without_the_extra_names_the_extra_and_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if not installed
    with pytest.raises(KeywordsError) as caught:
        load_model("all-MiniLM-L6-v2")
    text = str(caught.value)
    assert "marketloop[semantic]" in text and "MARKETLOOP_KEYWORDS_SEMANTIC_MODEL" in text
    assert "--mode lexical" in text


def test_row_argmax_matches_dense_and_handles_empty_rows() -> None:
    import scipy.sparse as sp

    from marketloop.keywords.leader import row_argmax

    dense = np.array([[0, 0.5, 0.9, 0.9], [0, 0, 0, 0], [0.2, 0, 0, 0]], dtype=np.float32)
    best, value = row_argmax(sp.csr_matrix(dense))
    assert best.tolist() == [2, -1, 0]  # first of a tie; -1 for a row with nothing
    assert value.tolist() == pytest.approx([0.9, 0.0, 0.2])
    dense_best, _ = row_argmax(dense)
    assert dense_best.tolist()[0::2] == [2, 0]


def test_refine_keeps_a_keyword_that_overlaps_no_centroid() -> None:
    from marketloop.keywords.leader import refine
    from marketloop.keywords.lexical import tfidf_vectors

    # the short z-keywords' n-grams weigh most, so the pruned centroid of cluster 0 keeps only
    # those: "lead scoring" then overlaps no centroid and must stay where it was
    keywords = ["lead scoring", "zzzz", "zzzz zzzz", "crm", "crm crm", "crmm"]
    labels = refine(tfidf_vectors(keywords), np.array([0, 0, 0, 3, 3, 3]), top_features=3)
    assert labels.tolist() == [0, 0, 0, 3, 3, 3]


def test_refine_moves_a_stray_keyword_to_its_topic() -> None:
    from marketloop.keywords.leader import refine
    from marketloop.keywords.lexical import tfidf_vectors

    keywords = ["lead scoring", "lead scoring tool", "lead scoring guide", "lead scorring"]
    keywords += ["crm sync", "crm", "crm app"]
    labels = refine(tfidf_vectors(keywords), np.array([0, 0, 0, 4, 4, 4, 4]))  # typo misplaced
    assert labels.tolist() == [0, 0, 0, 0, 4, 4, 4]


@pytest.mark.parametrize(
    "keyword",
    ["a", "ab", "abc", "Lead  SOCRING\ttools", "crm-software for b2b", "  ", "x y z ab"],
)
def test_char_wb_ngrams_are_scikit_learns(keyword: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from marketloop.keywords.lexical import char_wb_ngrams

    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    assert char_wb_ngrams(keyword) == reference(keyword)


def test_leader_ties_go_to_the_earlier_leader() -> None:
    import scipy.sparse as sp

    # row 2 is exactly as close to leader 1 as to leader 0: it joins the higher-volume one
    half = float(np.sqrt(np.float32(0.5)))
    vectors = sp.csr_matrix(np.array([[0, 1], [1, 0], [half, half]], dtype=np.float32))
    for volumes, first in (([30, 20, 10], 0), ([20, 30, 10], 1)):
        labels = leader_clusters(vectors, np.array(volumes), threshold=0.7, block=1)
        assert labels.tolist() == [0, 1, first]
