"""What the fake OpenAI server answers: deterministic output from the request alone.

- `response_format` json_schema: an instance valid for the schema, strings filled from the
  prompt's quoted phrases ("terms"), lengths taken from "N–M characters" in a property's
  description, enums cycled by array position (the first value outside arrays).
- json_object: `{"answer": ...}` built the same way.
- text: a Markdown article. It follows the prompt the way an obedient model would: the
  headings (`## …`) listed in the prompt, each quoted term as often as the prompt asks
  (`"term" (N–M times)`, else once), the `[anchor](url)` links in the prompt, a length from
  "N–M words". Unless told not to, it also writes one stock phrase ("unless the prompt says
  "avoid these phrases") and one unsupported statistic (unless it says "cite a source").

Same request, same answer: tests can assert content, and evals see prompt versions differ.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

_QUOTED = re.compile(r"[\"“]([^\"”\n]{2,80})[\"”]")
_COUNT = re.compile(r"[\"“]([^\"”\n]{2,80})[\"”]\s*\((\d+)\s*[–-]\s*(\d+) times\)")
_WORDS = re.compile(r"(\d+)\s*[–-]\s*(\d+) words")
_CHARS = re.compile(r"(\d+)\s*[–-]\s*(\d+) characters")
_HEADING = re.compile(r"^\s*(#{1,3}) (.+?)\s*$", re.M)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")

SENTENCES = (
    "Teams use {t} to keep their work in one place.",
    "A good plan for {t} starts with one clear goal.",
    "Most readers want to know how {t} fits into a normal week.",
    "Start small with {t} and measure what changes.",
    "Ask your team which parts of {t} save the most time.",
    "Write down what success with {t} looks like before you begin.",
)
FILLER = (
    "Keep each step short and easy to check.",
    "Look at the numbers again after a few weeks and adjust.",
    "Give one person the job of keeping the work on track.",
    "Small changes made often beat large changes made rarely.",
    "Share what you learn so the next project starts faster.",
)
STOCK_PHRASE = "In today's fast-paced world, every team needs a plan."
CLAIM = "Studies show that 73% of teams see results within a month."


def prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of every message, in order (content parts joined)."""
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """What the user said, every turn in order (a re-ask keeps the first turn's terms)."""
    users = [m for m in messages if m.get("role") == "user"]
    return prompt_text(users) if users else prompt_text(messages)


def terms_of(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _QUOTED.finditer(text):
        seen.setdefault(match.group(1).strip(), None)
    return list(seen) or [" ".join(text.split()[:4]) or "the topic"]


def from_schema(schema: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> Any:
    text = user_text(messages)
    return _Instance(schema, terms_of(text), _digest(text)).build(schema, "", 0)


class _Instance:
    def __init__(self, root: Mapping[str, Any], terms: list[str], seed: int) -> None:
        self.root, self.terms, self.seed = root, terms, seed

    def build(self, node: Mapping[str, Any], name: str, index: int) -> Any:
        if "$ref" in node:
            return self.build(self._resolve(node["$ref"]), name, index)
        if "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"] or node["anyOf"]
            return self.build(options[0], name, index)
        if "enum" in node:
            values = node["enum"]
            return values[index % len(values)]
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            props = node.get("properties", {})
            return {key: self.build(sub, key, index) for key, sub in props.items()}
        if kind == "array":
            count = max(int(node.get("minItems", 3)), 1)
            count = min(count, int(node.get("maxItems", count)))
            item = node.get("items", {})
            return [self.build(item, f"{name}[]", i) for i in range(count)]
        return self._scalar(node, str(kind), name.rstrip("[]"), index)

    def _scalar(self, node: Mapping[str, Any], kind: str, name: str, index: int) -> Any:
        scalars: dict[str, Any] = {
            "integer": lambda: int(node.get("minimum", 1 + (self.seed + index) % 5)),
            "number": lambda: float(node.get("minimum", 0.5)),
            "boolean": lambda: True,
            "null": lambda: None,
        }
        make = scalars.get(kind)
        return make() if make else self._string(node, name, index)

    def _string(self, node: Mapping[str, Any], name: str, index: int) -> str:
        term = self.terms[index % len(self.terms)]
        label = name.replace("_", " ").strip() or "text"
        text = f"{term[:1].upper()}{term[1:]}: {label}" + (f" {index + 1}" if index else "")
        limits = _CHARS.search(str(node.get("description", "")))
        if limits:
            low, high = int(limits.group(1)), int(limits.group(2))
            extra = iter(self.terms * 20)
            while len(text) < low:
                text += f", {next(extra)}"
            text = text[:high].rstrip(", ") + ("." if len(text) < high else "")
        return text

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return dict(node)


def markdown(messages: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown article that follows the prompt (see the module docstring)."""
    text = prompt_text(messages)
    lowered = text.lower()
    targets = {m.group(1): int(m.group(2)) for m in _COUNT.finditer(text)}
    terms = list(targets) or terms_of(user_text(messages))
    need = {t: targets.get(t, 1) for t in terms}
    words = _WORDS.search(text)
    goal = (int(words.group(1)) + int(words.group(2))) // 2 if words else 600
    headings = [(h[0], h[1]) for h in _HEADING.findall(user_text(messages))]
    title = next((h for level, h in headings if level == "#"), terms[0][:1].upper() + terms[0][1:])
    sections = [h for level, h in headings if level != "#"] or ["Overview", "Next steps"]
    links = list(dict.fromkeys(_LINK.findall(text)))
    sentences = _sentences(need, goal, _digest(text))
    if "avoid these phrases" not in lowered:
        sentences.insert(1, STOCK_PHRASE)
    if "cite a source" not in lowered:
        sentences.insert(2, CLAIM)
    for i, (anchor, url) in enumerate(links):
        sentences.insert(min(3 + 2 * i, len(sentences)), f"See [{anchor}]({url}) for more.")
    per = max(1, len(sentences) // len(sections))
    out = [f"# {title}", ""]
    for i, heading in enumerate(sections):
        chunk = sentences[i * per : (i + 1) * per if i < len(sections) - 1 else None]
        out += [f"## {heading}", "", " ".join(chunk) or FILLER[0], ""]
    return "\n".join(out)


def _sentences(need: dict[str, int], goal: int, seed: int) -> list[str]:
    out: list[str] = []
    for round_ in range(max(need.values(), default=0)):
        for k, (term, count) in enumerate(need.items()):
            if round_ < count:
                out.append(SENTENCES[(seed + round_ + k) % len(SENTENCES)].format(t=term))
    i = 0
    while sum(len(s.split()) for s in out) < goal:
        out.append(FILLER[(seed + i) % len(FILLER)])
        i += 1
    return out


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
