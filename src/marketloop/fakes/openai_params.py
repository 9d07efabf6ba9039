"""Which chat-completions parameters the fake OpenAI server accepts, implements or refuses, and
its tool calling.

- Unknown parameters: 400 "Unrecognized request argument supplied: <name>", as the API answers.
- Documented parameters the fake does not implement (`logprobs`, `audio`, `prediction`, ...):
  400 `unsupported_parameter` naming them, never silently ignored.
- `n` (1–128) choices; `stop` cuts the answer at the first stop sequence.
- `tools` (type `function` only) and `tool_choice` (`none`, `auto`, `required`, a named
  function): the fake calls the named function, or the first one for `required`, or for `auto`
  unless the conversation ends with a tool result. Arguments are an instance of the function's
  `parameters` schema filled from the prompt (`openai_output.from_schema`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from marketloop.fakes import openai_output as output
from marketloop.fakes.openai_validate import error

#: accepted and honoured, or accepted because they only steer sampling (the fake is
#: deterministic) or bookkeeping that changes nothing in the answer
ACCEPTED = frozenset(
    {
        "model", "messages", "temperature", "top_p", "seed", "max_tokens",
        "max_completion_tokens", "response_format", "stream", "stream_options", "n", "stop",
        "tools", "tool_choice", "parallel_tool_calls", "user", "metadata", "store",
        "presence_penalty", "frequency_penalty", "service_tier", "prompt_cache_key",
        "safety_identifier", "reasoning_effort", "verbosity",
    }
)  # fmt: skip
#: documented, not implemented by the fake: refused unless given their neutral value
REFUSED: dict[str, Any] = {
    "logprobs": False, "top_logprobs": None, "audio": None, "modalities": ["text"],
    "prediction": None, "web_search_options": None, "logit_bias": None, "functions": None,
    "function_call": None,
}  # fmt: skip
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check_params(body: dict[str, Any]) -> web.Response | None:
    for name, value in body.items():
        if name in ACCEPTED:
            continue
        if name not in REFUSED:
            return error(400, f"Unrecognized request argument supplied: {name}", None)
        if value not in (REFUSED[name], None):
            msg = f"Unsupported parameter: '{name}' is not supported by this fake server."
            return error(400, msg, name, "unsupported_parameter")
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        msg = f"Invalid 'n': integer between 1 and 128 expected, got {n!r}."
        return error(400, msg, "n", "invalid_value")
    if body.get("stream_options") is not None and not body.get("stream"):
        msg = "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        return error(400, msg, "stream_options", "invalid_value")
    stop = body.get("stop")
    if isinstance(stop, list) and len(stop) > 4:
        return error(400, "Invalid 'stop': array too long, at most 4 items.", "stop", None)
    return _check_tools(body)


def _check_tools(body: dict[str, Any]) -> web.Response | None:
    tools, choice = body.get("tools"), body.get("tool_choice")
    if tools is None and choice is not None:
        msg = "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
        return error(400, msg + "specified.", "tool_choice", None)
    if tools is not None and (problem := _check_tool_list(tools)):
        return problem
    if isinstance(choice, str) and choice not in ("none", "auto", "required"):
        msg = f"Invalid value: '{choice}'. Supported values are: 'none', 'auto' and 'required'."
        return error(400, msg, "tool_choice", "invalid_value")
    if isinstance(choice, dict) and _named(choice) not in _names(tools or []):
        msg = f"Invalid value for 'tool_choice': tool {_named(choice)!r} not found in 'tools'."
        return error(400, msg, "tool_choice", "invalid_value")
    return _check_tool_messages(body["messages"])


def _check_tool_list(tools: Any) -> web.Response | None:
    if not isinstance(tools, list):
        return error(400, "Invalid type for 'tools': expected an array.", "tools", "invalid_type")
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind != "function":
            msg = f"Unsupported tool type '{kind}': this fake implements function tools only."
            return error(400, msg, f"tools[{i}].type", "unsupported_parameter")
        name = (tool.get("function") or {}).get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            msg = f"Invalid 'tools[{i}].function.name': string does not match pattern "
            msg += "'^[a-zA-Z0-9_-]+$'."
            return error(400, msg, f"tools[{i}].function.name", "invalid_value")
    return None


def _check_tool_messages(messages: list[dict[str, Any]]) -> web.Response | None:
    called: set[str] = set()
    for i, message in enumerate(messages):
        if problem := _check_parts(message.get("content"), i):
            return problem
        for call in message.get("tool_calls") or []:
            called.add(str(call.get("id")))
        if message.get("role") == "tool" and message.get("tool_call_id") not in called:
            msg = (
                "Invalid parameter: messages with role 'tool' must be a response to a "
                "preceeding message with 'tool_calls'."
            )
            return error(400, msg, f"messages.[{i}].role", None)
    return None


def _check_parts(content: Any, i: int) -> web.Response | None:
    """Content parts: text is read; images, audio and files are refused (named), not ignored."""
    for j, part in enumerate(content if isinstance(content, list) else []):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal"):
            msg = f"Content parts of type '{kind}' are not supported by this fake server."
            return error(400, msg, f"messages[{i}].content[{j}].type", "unsupported_parameter")
    return None


def tool_call(body: dict[str, Any], call_id: str) -> dict[str, Any] | None:
    """The function call the fake makes for this request, or None for a text answer."""
    tools, choice = body.get("tools") or [], body.get("tool_choice") or "auto"
    answered = body["messages"][-1].get("role") == "tool"
    if not tools or choice == "none" or (choice == "auto" and answered):
        return None
    name = _named(choice) if isinstance(choice, dict) else _names(tools)[0]
    function = next(t["function"] for t in tools if t["function"]["name"] == name)
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    arguments = json.dumps(output.from_schema(schema, body["messages"]), ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def cut_at_stop(text: str, stop: Any) -> str:
    """`text` up to the first stop sequence (the sequence itself is not returned)."""
    sequences = [stop] if isinstance(stop, str) else list(stop or [])
    hits = [text.index(s) for s in sequences if s and s in text]
    return text[: min(hits)] if hits else text


def _names(tools: list[dict[str, Any]]) -> list[str]:
    return [str(t["function"]["name"]) for t in tools]


def _named(choice: Any) -> str | None:
    if isinstance(choice, dict):
        return (choice.get("function") or {}).get("name")
    return None
