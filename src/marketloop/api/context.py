"""What one application holds for its lifetime, built from settings by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from marketloop.api.auth import Authenticator
from marketloop.api.throttle import Network, Throttle
from marketloop.api.usage import UsageRecorder
from marketloop.config import Settings


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    auth: Authenticator
    throttle: Throttle
    usage: UsageRecorder
    proxies: tuple[Network, ...]
