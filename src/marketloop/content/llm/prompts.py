"""Prompt templates as versioned files: `content/prompts/<name>/<version>.jinja`.

A template has a `system` block and a `user` block; `render` turns them into chat messages.
A prompt is named `NAME@VERSION` (`brief@v2`); the version is recorded on every brief, draft
and eval result, so a change of wording is a new file, never an edit of a released one.
`[content] prompts_dir` adds a folder of your own templates, searched first.

    prompt = load_prompt("brief@v2")
    messages = prompt.render(brief=offline_brief, cluster=cluster)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
)

from marketloop.errors import ContentError

PACKAGE_PROMPTS = Path(__file__).parent.parent / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    template: Template

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, **context: Any) -> list[dict[str, str]]:
        """The chat messages: the system block (when the template has one), then the user."""
        ctx = self.template.new_context(context)
        messages = []
        for role in ("system", "user"):
            block = self.template.blocks.get(role)
            if block is not None:
                text = "".join(block(ctx)).strip()
                messages.append({"role": role, "content": text})
        if not messages or messages[-1]["role"] != "user":
            raise ContentError(f"prompt {self.ref} has no user block")
        return messages


def parse_ref(ref: str) -> tuple[str, str]:
    name, sep, version = ref.partition("@")
    if not sep or not name or not version:
        raise ContentError(
            f"prompt {ref!r} is not NAME@VERSION", hint="e.g. brief@v2; see `available_prompts()`"
        )
    return name, version


def prompt_kind(ref: str, kinds: tuple[str, ...] = ("brief", "draft")) -> str:
    """Which step a prompt is for, from its name: `brief@v2`, `brief-short@v1` → brief."""
    name, _ = parse_ref(ref)
    for kind in kinds:
        if name.startswith(kind):
            return kind
    raise ContentError(
        f"prompt {ref}: the name must start with {' or '.join(kinds)}",
        hint="e.g. brief@v2 or draft@v1",
    )


def load_prompt(ref: str, prompts_dir: Path | None = None) -> Prompt:
    name, version = parse_ref(ref)
    env = _environment(prompts_dir)
    try:
        template = env.get_template(f"{name}/{version}.jinja")
    except TemplateNotFound:
        known = ", ".join(available_prompts(prompts_dir)) or "none"
        raise ContentError(
            f"no prompt template {ref}", hint=f"available: {known}; see docs/content.md"
        ) from None
    return Prompt(name, version, template)


def available_prompts(prompts_dir: Path | None = None) -> list[str]:
    folders = [p for p in (prompts_dir, PACKAGE_PROMPTS) if p is not None and p.is_dir()]
    found = {
        f"{path.parent.name}@{path.stem}" for folder in folders for path in folder.glob("*/*.jinja")
    }
    return sorted(found)


@cache
def _environment(prompts_dir: Path | None) -> Environment:
    loaders: list[Any] = [PackageLoader("marketloop.content", "prompts")]
    if prompts_dir is not None:
        loaders.insert(0, FileSystemLoader(prompts_dir))
    return Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,  # prompts are plain text sent to a model, never HTML  # noqa: S701
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
