"""YAML from people, read safely: the one check before any YAML file is composed.

Anchors and aliases are refused (a few lines of aliases expand to billions of values, the
"YAML bomb", and an alias inside its own anchor makes a structure that contains itself), and
so is nesting deeper than `MAX_DEPTH` (PyYAML composes recursively, and takes minutes over a
deep flow). The check walks the parser's events, so it costs one pass and no recursion.
"""

from __future__ import annotations

import yaml

MAX_DEPTH = 32


class YamlRefused(ValueError):
    """YAML that is well-formed but refused; `line` is 1-based."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def check(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> None:
    """Raise YamlRefused for an anchor, an alias or deep nesting; yaml.YAMLError for bad YAML."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        depth += isinstance(event, yaml.CollectionStartEvent)
        depth -= isinstance(event, yaml.CollectionEndEvent)
        if depth > MAX_DEPTH:
            raise YamlRefused(line, f"nested more than {MAX_DEPTH} levels deep")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            what = "alias *" if isinstance(event, yaml.AliasEvent) else "anchor &"
            raise YamlRefused(line, f"YAML {what}{anchor}: anchors and aliases are not supported")
