"""Semantic clustering: sentence embeddings (optional extra) and leader clustering.

Needs `pip install 'marketloop[semantic]'` (sentence-transformers) and a model that is already
on this machine: a folder, or a name in the Hugging Face cache. Nothing is downloaded: the
model is loaded with `local_files_only=True`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from marketloop.errors import KeywordsError
from marketloop.keywords.leader import Guard, OnProgress, leader_clusters, refine

SETTING = "keywords.semantic_model (MARKETLOOP_KEYWORDS_SEMANTIC_MODEL)"


def load_model(name: str) -> Any:
    """The sentence-transformers model `name`, from disk only; a clear error when missing."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise KeywordsError(
            "semantic clustering needs the `semantic` extra (sentence-transformers), "
            "which is not installed",
            hint="pip install 'marketloop[semantic]' and set "
            f"{SETTING} to a local model folder, or use --mode lexical (no model needed)",
        ) from None
    try:
        return SentenceTransformer(name, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise KeywordsError(
            f"sentence-transformers model {name!r} is not available on this machine: {exc}",
            hint=f"set {SETTING} to a folder holding the model (nothing is downloaded), "
            "or use --mode lexical",
        ) from None


def embed(model: Any, keywords: Sequence[str], batch_size: int = 256) -> NDArray[np.float32]:
    vectors = model.encode(
        list(keywords), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)


def semantic_clusters(
    keywords: Sequence[str],
    volumes: NDArray[np.int64],
    *,
    model_name: str,
    threshold: float,
    refine_rounds: int = 1,
    on_progress: OnProgress | None = None,
    guard: Guard | None = None,
) -> NDArray[np.int64]:
    model = load_model(model_name)
    if not keywords:
        return np.empty(0, dtype=np.int64)
    vectors = embed(model, keywords)
    labels = leader_clusters(
        vectors, volumes, threshold=threshold, on_progress=on_progress, guard=guard
    )
    return refine(vectors, labels, rounds=refine_rounds, guard=guard)
