"""Errors of publishing, under `IntegrationError` (see marketloop/errors.py).

IntegrationError
├── NotionError               an answer from Notion we cannot work with (status, code)
│   ├── NotionAuthError       401: the token is wrong, expired or revoked
│   ├── NotionAccessError     403/404: the integration cannot see the database or page
│   ├── NotionValidationError 400: Notion rejected the request; `block_index` when a block
│   └── NotionUnavailable     429/5xx/timeouts that outlasted the retries (transient)
├── BriefFolderError          a briefs folder that is missing or holds no brief
└── WebhookError              a webhook setting or delivery that cannot work
"""

from __future__ import annotations

from marketloop.errors import IntegrationError, TransientError

AUTH_HINT = (
    "check MARKETLOOP_NOTION_TOKEN (the integration's internal secret, ntn_...); "
    "an expired or revoked token needs a new one from notion.so/profile/integrations"
)
SHARE_HINT = (
    "in Notion open the database, ••• → Connections, and add your integration; "
    "then check notion.database_id"
)


class NotionError(IntegrationError):
    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class NotionAuthError(NotionError):
    http_status = 401


class NotionAccessError(NotionError):
    http_status = 404


class NotionValidationError(NotionError):
    http_status = 422

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = 400,
        code: str | None = "validation_error",
        block_index: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint, status=status, code=code)
        self.block_index = block_index  # index in the request's `children`, when a block


class NotionUnavailable(TransientError, NotionError):
    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        NotionError.__init__(self, message, hint=hint, status=status, code=code)
        self.retry_after = retry_after


class BriefFolderError(IntegrationError):
    http_status = 404


class WebhookError(IntegrationError):
    pass
