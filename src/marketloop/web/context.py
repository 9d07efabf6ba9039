"""What the dashboard holds for the application's lifetime, beside the API's context."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from marketloop.web.session import Sessions

#: login attempts one client address may make per window, before any password is checked
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW = 300.0


@dataclass
class WebContext:
    sessions: Sessions
    attempts: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def login_allowed(self, address: str) -> bool:
        """Count one login attempt from `address`; False once it is over the window's limit."""
        now = time.monotonic()
        seen = self.attempts[address]
        while seen and now - seen[0] > LOGIN_WINDOW:
            seen.popleft()
        if len(seen) >= LOGIN_ATTEMPTS:
            return False
        seen.append(now)
        if len(self.attempts) > 10_000:  # bounded memory under a spray of addresses
            self.attempts.clear()
        return True
