"""Errors of the create stage, under `ContentError`:

ContentError
├── LlmError               a call to the LLM failed
│   ├── LlmAuthError       the endpoint rejected the API key (401/403)
│   ├── QuotaExhausted     the account has no quota left (429 insufficient_quota)
│   ├── Refusal            the model refused to answer (`message.refusal`)
│   ├── InvalidOutput      the answer failed validation twice (raw answer kept)
│   └── LlmUnavailable     429s, 5xx or timeouts outlasted the retries  (+ TransientError)
└── EvalError              a suite file or stored eval run that cannot be used
"""

from __future__ import annotations

from marketloop.errors import ContentError, TransientError


class LlmError(ContentError):
    pass


class LlmAuthError(LlmError):
    pass


class QuotaExhausted(LlmError):
    pass


class Refusal(LlmError):
    pass


class InvalidOutput(LlmError):
    """The model's answer was not valid twice; `raw` holds the last answer for inspection."""

    def __init__(self, message: str, *, raw: str, errors: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.raw = raw
        self.errors = errors


class LlmUnavailable(LlmError, TransientError):
    pass


class EvalError(ContentError):
    pass
