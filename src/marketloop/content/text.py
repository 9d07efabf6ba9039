"""Plain-text helpers the brief writer, the link finder and the guardrails share: tokens,
slugs, headings, and the visible text of a Markdown draft."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _wordset(
    "a an and are as at be by can do does for from how i in is it its me my of on or our "
    "should that the their this to vs versus was what when where which who why will with you "
    "your near best top"
)
RANKING_WORDS = _wordset("best top")  # stopwords for matching, but part of a commercial term
QUESTION_WORDS = _wordset(
    "how what why when where which who whom whose can does do is are should will could"
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-case words of `text` (apostrophes kept inside words)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def stem(word: str) -> str:
    """A light, deterministic stem: plural and -ing endings, enough to match titles to keywords."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


@lru_cache(maxsize=65536)
def tokens(text: str) -> frozenset[str]:
    """Stemmed content words of `text`, without stopwords: what two texts can share."""
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)


def term_tokens(text: str, keep: frozenset[str] = frozenset()) -> frozenset[str]:
    """`tokens`, plus the stopwords in `keep` ("best" in "best crm software" for a commercial
    cluster, where it is what people search for)."""
    return tokens(text) | frozenset(w for w in words(text) if w in keep)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller token set found in the other (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def is_question(keyword: str) -> bool:
    first = words(keyword)[:1]
    return (bool(first) and first[0] in QUESTION_WORDS) or keyword.rstrip().endswith("?")


def as_question(keyword: str) -> str:
    text = keyword.strip().rstrip("?").strip()
    return text[:1].upper() + text[1:] + "?"


def slugify(text: str, *, max_length: int = 80) -> str:
    """ASCII, lower case, dashes: `CRM Software (2025)` → `crm-software-2025`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "brief"


ACRONYMS = _wordset(
    "ab ai api b2b b2c cms crm cro css csv ctr cx erp faq ga4 gdpr hr html kpi ppc pr roi saas "
    "sdk seo sem serp sla sms sql ui ur url utm ux"
)
_SMALL = _wordset("a an and as at by for in of on or the to vs via with")


def title_case(text: str) -> str:
    """Capitalise words except short joining words; acronyms upper case; keep given capitals."""
    out = []
    for i, word in enumerate(text.split()):
        if word.lower() in ACRONYMS:
            out.append(word.upper())
        elif word != word.lower() or (i and word in _SMALL):
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def acronyms(text: str) -> str:
    """Known acronyms upper case (`crm software` → `CRM software`), the rest as given."""
    return " ".join(w.upper() if w.lower() in ACRONYMS else w for w in text.strip().split())


def sentence_case(text: str) -> str:
    """First letter upper case, acronyms upper case, the rest as given."""
    fixed = acronyms(text)
    return fixed[:1].upper() + fixed[1:]


def distinct_topics(
    items: Iterable[str], key_of: Callable[[str], frozenset[str]] = tokens
) -> list[str]:
    """Items in order, keeping the first of any that share the same content words."""
    seen: set[frozenset[str]] = set()
    out = []
    for item in unique(items):
        key = key_of(item) or frozenset([item.lower()])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def unique(items: Iterable[str]) -> list[str]:
    """Items in order, without case-insensitive repeats or blanks."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_MD_CODE = re.compile(r"```.*?```", re.S)
_MD_MARKS = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)|[*_`~]", re.M)


def markdown_links(markdown: str) -> list[tuple[str, str]]:
    """(anchor, url) of every inline link in a Markdown text, images excluded."""
    return [
        (m.group(1), m.group(2))
        for m in _MD_LINK.finditer(_MD_CODE.sub("", markdown))
        if not m.group(0).startswith("!")
    ]


def visible_text(markdown: str) -> str:
    """What a reader sees: link text without URLs, no code blocks, no Markdown marks."""
    text = _MD_CODE.sub(" ", markdown)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    return _MD_MARKS.sub("", text)


def count_phrase(text: str, phrase: str) -> int:
    """Whole-word, case-insensitive occurrences of `phrase` in `text` (plurals count too)."""
    parts = [re.escape(w) for w in words(phrase)]
    if not parts:
        return 0
    pattern = r"\b" + r"[\s\-]+".join(parts) + r"(?:s|es)?\b"
    return len(re.findall(pattern, text.lower().replace("’", "'")))
