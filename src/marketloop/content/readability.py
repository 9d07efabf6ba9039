"""Flesch reading ease of a Markdown draft, with a syllable heuristic (no dictionary).

    206.835 − 1.015 × (words ÷ sentences) − 84.6 × (syllables ÷ words)

90–100 very easy, 60–70 plain English, 30–50 difficult (academic), below 30 very hard.
Headings and list items count as sentences of their own.
"""

from __future__ import annotations

import re

from marketloop.content.text import visible_text, words

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e and a silent -ed/-es ending; at least one."""
    word = word.lower().strip("'")
    if len(word) <= 3:
        return 1
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")):
        count -= 1
    sounded = ("ted", "ded", "ses", "zes", "xes", "ces", "ges", "ches", "shes")
    if word.endswith(("ed", "es")) and not word.endswith(sounded) and count > 1:
        count -= 1
    return max(1, count)


def sentence_count(text: str) -> int:
    lines = [line.strip() for line in text.splitlines()]
    return sum(max(1, len(_SENTENCE_END.findall(line))) for line in lines if line)


def flesch_reading_ease(markdown: str) -> float:
    """The score of the text a reader sees (0 for an empty text)."""
    text = visible_text(markdown)
    found = words(text)
    if not found:
        return 0.0
    per_sentence = len(found) / max(1, sentence_count(text))
    per_word = sum(syllables(w) for w in found) / len(found)
    return round(206.835 - 1.015 * per_sentence - 84.6 * per_word, 1)
