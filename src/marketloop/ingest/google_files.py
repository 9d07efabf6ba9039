"""A Google credentials file, read with the loader for its declared type (never guessed):

    service_account                a service-account key (Cloud console → Keys)
    authorized_user                a user login: `gcloud auth application-default login` writes it
    external_account               workload identity federation (identity pool, AWS, executable)
    impersonated_service_account   what `gcloud auth application-default login
                                   --impersonate-service-account=...` writes

Problems (no file, not JSON, another type, a missing field, an unreadable key) are a
ConfigError naming the file and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marketloop.config import config_file
from marketloop.errors import ConfigError
from marketloop.observe.logging import mask_secrets

Loader = Callable[[dict[str, Any], list[str]], Any]


def _service_account(info: dict[str, Any], scopes: list[str]) -> Any:
    from google.oauth2 import service_account

    return service_account.Credentials.from_service_account_info(info, scopes=scopes)


def _authorized_user(info: dict[str, Any], scopes: list[str]) -> Any:
    from google.oauth2 import credentials

    return credentials.Credentials.from_authorized_user_info(info, scopes=scopes)


def _external_account(info: dict[str, Any], scopes: list[str]) -> Any:
    from google.auth import aws, identity_pool, pluggable

    source = info.get("credential_source") or {}
    if "executable" in source:
        return pluggable.Credentials.from_info(info, scopes=scopes)
    if str(source.get("environment_id", "")).startswith("aws"):
        return aws.Credentials.from_info(info, scopes=scopes)
    return identity_pool.Credentials.from_info(info, scopes=scopes)


def _impersonated(info: dict[str, Any], scopes: list[str]) -> Any:
    from google.auth import impersonated_credentials

    creds = impersonated_credentials.Credentials
    return creds.from_impersonated_service_account_info(info, scopes=scopes)


LOADERS: dict[str, Loader] = {
    "service_account": _service_account,
    "authorized_user": _authorized_user,
    "external_account": _external_account,
    "impersonated_service_account": _impersonated,
}


def load_file(path: Path, scopes: list[str]) -> Any:
    """google-auth credentials from `path`, scoped to `scopes`."""
    where = f"the Google credentials file {path}"
    hint = (
        f"point MARKETLOOP_GOOGLE_CREDENTIALS_FILE or [google] credentials_file in {config_file()} "
        "at a service-account key or an authorized-user file (or unset it to use Application "
        "Default Credentials)"
    )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror}", hint=hint) from None
    except ValueError as exc:
        raise ConfigError(f"{where} is not JSON: {exc}", hint=hint) from None
    kind = info.get("type") if isinstance(info, dict) else None
    loader = LOADERS.get(str(kind))
    if loader is None:
        raise ConfigError(
            f"{where} has type {str(kind)[:40]!r}; expected one of {', '.join(LOADERS)}",
            hint=hint,
        )
    try:
        return loader(info, scopes)
    except (ValueError, TypeError, KeyError) as exc:
        words = mask_secrets(" ".join(str(exc).split()))[:300]
        raise ConfigError(f"{where} ({kind}) is unusable: {words}", hint=hint) from None
