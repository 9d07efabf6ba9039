"""A tuned local model as an OpenAI-compatible endpoint, so that it is a candidate in
`eval run` and `eval decide` like any hosted model: `marketloop tune serve` loads the base model
and its LoRA adapter and answers `POST /v1/chat/completions` (and `GET /v1/models`) on
127.0.0.1. Point `[llm] base_url` at it (or run vLLM with the adapter: same API).

    marketloop tune serve --base-model models/qwen --adapter .marketloop/tune/tn-…/adapter
    MARKETLOOP_LLM_BASE_URL=http://127.0.0.1:8800/v1 marketloop eval run suite.yaml --model local

Generation is greedy (reproducible evals); `response_format` is not enforced (the answer is
validated by the client, as for any endpoint without structured outputs).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from marketloop.content.tune.extra import quiet_peft, require_tune
from marketloop.content.tune.local import format_chat, load_model


@dataclass
class LocalModel:
    name: str
    tokenizer: Any
    model: Any
    max_new_tokens: int = 256

    @classmethod
    def load(
        cls, base_model: str, adapter: str | None, name: str, max_new_tokens: int
    ) -> LocalModel:
        _, transformers, peft = require_tune()
        tokenizer, model = load_model(transformers, base_model)
        if adapter:
            with quiet_peft():
                model = peft.PeftModel.from_pretrained(model, adapter)
        model.eval()
        return cls(name, tokenizer, model, max_new_tokens)

    def complete(
        self, messages: list[dict[str, str]], limit: int | None
    ) -> tuple[str, int, int, str]:
        """(text, prompt tokens, completion tokens, finish reason)."""
        import torch

        prompt, _ = format_chat(self.tokenizer, [*messages, {"role": "assistant", "content": ""}])
        ids = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        budget = min(limit or self.max_new_tokens, self.max_new_tokens)
        with torch.no_grad():
            out = self.model.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=budget,
                do_sample=False, pad_token_id=self._pad_id(),
            )  # fmt: skip
        new = out[0][ids.shape[1] :]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        finish = "length" if len(new) >= budget else "stop"
        return text, int(ids.shape[1]), len(new), finish

    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)


def serve_app(local: LocalModel) -> web.Application:
    lock = asyncio.Lock()  # one generation at a time: the model is not shared across threads

    async def completions(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            messages = [{"role": m["role"], "content": str(m["content"])} for m in body["messages"]]
        except (ValueError, KeyError, TypeError):
            return _error(400, "the body needs `messages`: a list of {role, content}", "messages")
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        async with lock:
            text, prompt, completion, finish = await asyncio.to_thread(
                local.complete, messages, limit
            )
        message = {"role": "assistant", "content": text, "refusal": None}
        return web.json_response(
            {
                "id": f"chatcmpl-local{time.time_ns()}", "object": "chat.completion",
                "created": int(time.time()), "model": local.name,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                ],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion},
            }
        )  # fmt: skip

    async def models(_: web.Request) -> web.Response:
        data = [{"id": local.name, "object": "model", "created": 0, "owned_by": "local"}]
        return web.json_response({"object": "list", "data": data})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/v1/models", models)
    return app


def _error(status: int, message: str, param: str | None) -> web.Response:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }
    return web.json_response(body, status=status)
