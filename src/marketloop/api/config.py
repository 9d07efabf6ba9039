"""Settings of the HTTP API: `[api]` in marketloop.toml, `MARKETLOOP_API_*` in the environment.

    [api]
    pepper = "..."                      # MARKETLOOP_API_PEPPER; generated in local mode
    limits_storage = "memory://"        # redis://host:6379/0 when several processes serve
    trusted_proxies = ["10.0.0.0/8"]    # X-Forwarded-For is believed only from these
    cors_origins = []                   # closed unless listed
    [api.limits]                        # per key and scope (the `limits` library's notation)
    read = "600/minute"
    run = "10/minute"

A limit is also set from the environment as `MARKETLOOP_API_LIMITS_READ="30/minute"`: the
settings loader hands that over as `limits_read`, which is folded into `[api.limits]` here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from marketloop.section import Section

DEFAULT_LIMITS = {
    "read": "600/minute",
    "write": "60/minute",
    "run": "10/minute",
    "admin": "30/minute",
    "metrics": "120/minute",
    "anonymous": "60/minute",
}


class HookSettings(Section):
    """One inbound hook (`[api.hooks.NAME]`): its Standard Webhooks secret (`whsec_...`) and
    what it starts: a loop of `[runner] loops`, or one step of it."""

    secret: SecretStr = Field(description="whsec_<base64>: the key shared with the sender")
    target: str = Field("", description="the loop (its name) the hook starts a run of")
    step: str | None = Field(None, description="run only this step of the loop")


class ApiSettings(Section):
    pepper: SecretStr | None = Field(
        None, description="server-side secret mixed into every API key hash (HMAC-SHA256)"
    )
    limits: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_LIMITS),
        description="rate limit per scope, and `anonymous` per client address",
    )
    limits_storage: str = Field(
        "memory://", description="`limits` storage URI: memory:// or redis://host:port/db"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses/networks whose X-Forwarded-For is believed"
    )
    cors_origins: list[str] = Field(default_factory=list, description="allowed CORS origins")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="largest request body accepted")
    idempotency_hours: float = Field(24.0, gt=0, description="how long idempotency keys live")
    key_cache_seconds: float = Field(
        5.0, ge=0, description="how long a verified key is trusted before it is read again"
    )
    usage_flush_seconds: float = Field(
        10.0, gt=0, description="how often last-used times and request counts are written"
    )
    hooks: dict[str, HookSettings] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fold_env_limits(cls, data: Any) -> Any:
        """MARKETLOOP_API_LIMITS_READ arrives as `limits_read`: fold it into `limits`."""
        if not isinstance(data, Mapping):
            return data
        folded = {
            k: v for k, v in data.items() if not k.startswith("limits_") or k == "limits_storage"
        }
        extra = {
            k[len("limits_") :]: v
            for k, v in data.items()
            if k.startswith("limits_") and k != "limits_storage"
        }
        if extra:
            folded["limits"] = {**DEFAULT_LIMITS, **dict(data.get("limits") or {}), **extra}
        return folded

    @field_validator("limits")
    @classmethod
    def _valid_limits(cls, value: dict[str, str]) -> dict[str, str]:
        from limits import parse_many

        merged = {**DEFAULT_LIMITS, **value}
        for scope, text in merged.items():
            try:
                parse_many(text)
            except ValueError:
                raise ValueError(
                    f"limit {scope} = {text!r} is not a rate like '600/minute'"
                ) from None
        return merged

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"trusted proxy {item!r} is not an address or network") from None
        return value
