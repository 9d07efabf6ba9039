"""`stream: true` for the fake OpenAI server: the completion it would have answered, sent as
server-sent events the way the API sends them.

    data: {"object": "chat.completion.chunk", "choices": [{"delta": {"role": "assistant",
           "content": ""}, ...}], ...}
    data: {... "delta": {"content": "a few words"} ...}            (the content, in pieces)
    data: {... "delta": {}, "finish_reason": "stop"}
    data: {... "choices": [], "usage": {...}}                      (stream_options.include_usage)
    data: [DONE]

Tool calls stream as `delta.tool_calls[{index, id, type, function: {name, arguments: ""}}]`
followed by pieces of `arguments`; a refusal as pieces of `delta.refusal`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from aiohttp import web

Json = dict[str, Any]
_PIECE = re.compile(r"\S*\s*")  # a word and the spaces after it


async def send(
    request: web.Request, completion: Json, include_usage: bool, headers: dict[str, str]
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={**headers, "Content-Type": "text/event-stream; charset=utf-8"}
    )
    await response.prepare(request)
    for chunk in chunks(completion, include_usage):
        await response.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


def chunks(completion: Json, include_usage: bool) -> Iterator[Json]:
    """The chunks of `completion` (a chat.completion body), in the order the API sends them."""
    head = {k: completion[k] for k in ("id", "created", "model", "service_tier")}
    head |= {
        "object": "chat.completion.chunk",
        "system_fingerprint": completion["system_fingerprint"],
    }
    extra = {"usage": None} if include_usage else {}

    def chunk(index: int, delta: Json, finish: str | None = None) -> Json:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**head, "choices": [choice], **extra}

    for choice in completion["choices"]:
        index, message = choice["index"], choice["message"]
        yield chunk(index, {"role": "assistant", "content": "", "refusal": None})
        for n, call in enumerate(message.get("tool_calls") or []):
            function = {"name": call["function"]["name"], "arguments": ""}
            first = {"index": n, "id": call["id"], "type": "function", "function": function}
            yield chunk(index, {"tool_calls": [first]})
            for piece in _pieces(call["function"]["arguments"]):
                yield chunk(index, {"tool_calls": [{"index": n, "function": {"arguments": piece}}]})
        for key in ("content", "refusal"):
            for piece in _pieces(message.get(key) or ""):
                yield chunk(index, {key: piece})
        yield chunk(index, {}, choice["finish_reason"])
    if include_usage:
        yield {**head, "choices": [], "usage": completion["usage"]}


def _pieces(text: str) -> Iterator[str]:
    """`text` a few words at a time (joined, the pieces are `text` exactly)."""
    words = [w for w in _PIECE.findall(text) if w]
    for start in range(0, len(words), 3):
        yield "".join(words[start : start + 3])
