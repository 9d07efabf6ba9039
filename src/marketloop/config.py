"""One typed settings object, layered: defaults < marketloop.toml < MARKETLOOP_* env < CLI flags.

Each stage declares its own section model in its package (`crawl/config.py`, ...); this module
composes them. Environment variables use one underscore between the section and the field:
`MARKETLOOP_CRAWL_MAX_URLS=500`, `MARKETLOOP_GA4_BASE_URL=http://127.0.0.1:8081`. The TOML file
is `./marketloop.toml` unless `--config FILE` or `MARKETLOOP_CONFIG` names another one.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from marketloop.api.config import ApiSettings
from marketloop.audit.config import AuditSettings
from marketloop.content.config import ContentSettings, LlmSettings
from marketloop.crawl.config import CrawlSettings
from marketloop.errors import ConfigError
from marketloop.ingest.config import (
    Ga4Settings,
    GoogleSettings,
    GscSettings,
    HubspotSettings,
    WarehouseSettings,
)
from marketloop.integrations.config import NotifySettings, NotionSettings, WebhookSettings
from marketloop.integrations.jira_config import JiraSettings
from marketloop.integrations.mail import EmailSettings
from marketloop.integrations.pagerduty import PagerDutySettings
from marketloop.integrations.slack import SlackSettings
from marketloop.keywords.config import KeywordsSettings
from marketloop.observe.config import ObserveSettings
from marketloop.observe.logging import register_secret
from marketloop.plan.config import PlanSettings
from marketloop.quality.config import QualitySettings
from marketloop.runner.config import RunnerSettings
from marketloop.workspace import Workspace

ENV_PREFIX = "MARKETLOOP_"
DEFAULT_CONFIG_FILE = Path("marketloop.toml")
_config_file: ContextVar[Path | None] = ContextVar("marketloop_config_file", default=None)


class Settings(BaseSettings):
    """Everything marketloop can be told. Sections mirror the stage packages."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        validate_default=True,
    )

    workspace: Path = Path(".marketloop")
    mode: Literal["local", "production"] = "local"
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    log_format: Literal["console", "json"] = "console"
    app_db_url: str | None = None  # default: sqlite in the workspace (see appdb/)

    crawl: CrawlSettings = CrawlSettings()
    audit: AuditSettings = AuditSettings()
    notion: NotionSettings = NotionSettings()
    webhooks: WebhookSettings = WebhookSettings()
    jira: JiraSettings = JiraSettings()
    slack: SlackSettings = SlackSettings()
    pagerduty: PagerDutySettings = PagerDutySettings()
    email: EmailSettings = EmailSettings()
    notify: NotifySettings = NotifySettings()
    plan: PlanSettings = PlanSettings()
    quality: QualitySettings = QualitySettings()
    keywords: KeywordsSettings = KeywordsSettings()
    llm: LlmSettings = LlmSettings()
    content: ContentSettings = ContentSettings()
    # measure stage (ingest/config.py): the warehouse and the sources that load into it
    warehouse: WarehouseSettings = WarehouseSettings()
    google: GoogleSettings = GoogleSettings()
    ga4: Ga4Settings = Ga4Settings()
    gsc: GscSettings = GscSettings()
    hubspot: HubspotSettings = HubspotSettings()
    # operate: the HTTP API (api/config.py)
    api: ApiSettings = ApiSettings()
    # operate: the runner (runner/config.py)
    runner: RunnerSettings = RunnerSettings()
    # operate: metrics and alerts (observe/config.py)
    observe: ObserveSettings = ObserveSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # first wins: CLI flags (init) > env > toml > defaults
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file()))


def app_db_url(settings: Settings) -> str:
    """The app database in force: `app_db_url`, else WORKSPACE/app.db (SQLite)."""
    return settings.app_db_url or f"sqlite:///{Workspace(settings.workspace).app_db_path.resolve()}"


def config_file() -> Path:
    """The TOML file in force: `--config`, else `MARKETLOOP_CONFIG`, else ./marketloop.toml."""
    chosen = _config_file.get()
    if chosen is not None:
        return chosen
    return Path(os.environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG_FILE))


@contextmanager
def using_config_file(path: Path | None) -> Iterator[None]:
    token = _config_file.set(path)
    try:
        yield
    finally:
        _config_file.reset(token)


def load_settings(
    config: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build the settings from every layer; `overrides` are CLI flags (nested dicts per section).

    A flag left at None is treated as not given, so it never hides a lower layer.
    """
    _check_named_config(config)
    with using_config_file(config):
        toml = config_file()
        layers = _layers()
        try:
            settings = Settings(**_drop_unset(overrides or {}))
        except ValidationError as exc:
            raise ConfigError(_describe(exc), hint=f"looked in {layers}") from None
        except SettingsError as exc:  # a MARKETLOOP_* value that is not what its field takes
            if "EnvSettingsSource" not in str(exc):
                raise ConfigError(f"cannot read {toml}: {exc}", hint=f"fix {toml}") from None
            raise _env_error(exc) from None
        except (OSError, ValueError) as exc:  # unreadable or malformed TOML
            raise ConfigError(f"cannot read {toml}: {exc}", hint=f"fix {toml}") from None
    register_secrets(settings)
    return settings


# MARKETLOOP_* variables that are not settings: the settings file, the test suite's services and
# what marketloop hands to dbt.
NOT_SETTINGS = ("CONFIG", "SMOKE_KEY")  # not settings: read by one command
NOT_SETTINGS_PREFIXES = ("TEST_", "DBT_")


def unknown_env_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """Warnings for MARKETLOOP_* variables that set nothing (a typo is otherwise silent):
    `MARKETLOOP_LOGLEVEL matches no setting; did you mean MARKETLOOP_LOG_LEVEL?`."""
    environ = os.environ if environ is None else environ
    known = _setting_variables()
    warnings = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or _is_setting_variable(upper, known):
            continue
        warning = f"{name} matches no setting"
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
        warnings.append(f"{warning}; did you mean {close[0]}?" if close else warning)
    return warnings


def _is_setting_variable(upper: str, known: list[str]) -> bool:
    rest = upper[len(ENV_PREFIX) :]
    if upper in known or rest in NOT_SETTINGS or rest.startswith(NOT_SETTINGS_PREFIXES):
        return True
    section = rest.split("_", 1)[0].lower()  # an unknown field of a section fails validation
    return section in _sections()


def _sections() -> set[str]:
    return {
        name
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }


def _setting_variables() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        names.append(f"{ENV_PREFIX}{name.upper()}")
        if name in _sections():
            section = field.annotation
            assert isinstance(section, type) and issubclass(section, BaseModel)
            names += [f"{ENV_PREFIX}{name.upper()}_{sub.upper()}" for sub in section.model_fields]
    return names


def _check_named_config(config: Path | None) -> None:
    """A file named by --config or MARKETLOOP_CONFIG must exist (only the default may not)."""
    if config is not None:
        named, where = config, "--config"
    elif os.environ.get(f"{ENV_PREFIX}CONFIG"):
        named, where = Path(os.environ[f"{ENV_PREFIX}CONFIG"]), f"{ENV_PREFIX}CONFIG"
    else:
        return
    if not named.is_file():
        raise ConfigError(f"config file {named} does not exist", hint=f"check {where}")


def _env_error(exc: SettingsError) -> ConfigError:
    """Name the variable whose value could not be parsed (pydantic names only the section)."""
    field = str(exc).split('"')[1] if '"' in str(exc) else ""
    for name, value in sorted(os.environ.items()):
        annotation = _env_field(name, field)
        kind = _complex_kind(annotation)
        if kind and not _is_json(value):
            shown = "..." if _holds_secret(annotation) else value  # never echo a secret
            example = json.dumps([shown] if kind == "list" else {"key": shown})
            return ConfigError(
                f"{name}: {kind}s take JSON, e.g. '{example}'", hint=f"fix or unset {name}"
            )
    return ConfigError(f"cannot read the {ENV_PREFIX}* environment: {exc}")


def _env_field(variable: str, field: str) -> Any:
    """The annotation of the setting `variable` sets, when it belongs to settings field `field`."""
    section_prefix = f"{ENV_PREFIX}{field.upper()}_"
    if variable.upper() == f"{ENV_PREFIX}{field.upper()}":
        return Settings.model_fields[field].annotation
    if not variable.upper().startswith(section_prefix):
        return None
    section = Settings.model_fields[field].annotation
    if not (isinstance(section, type) and issubclass(section, BaseModel)):
        return None
    sub = section.model_fields.get(variable[len(section_prefix) :].lower())
    return sub.annotation if sub is not None else None


def _holds_secret(annotation: Any, depth: int = 0) -> bool:
    """Whether a setting of this type may hold a secret (a SecretStr anywhere in it)."""
    if annotation is SecretStr:
        return True
    if depth > 5:
        return False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields.values()
        return any(_holds_secret(f.annotation, depth + 1) for f in fields)
    return any(_holds_secret(arg, depth + 1) for arg in get_args(annotation))


def _complex_kind(annotation: Any) -> str | None:
    """ "list" or "table" for a field the environment must give as JSON, else None."""
    for candidate in (annotation, *get_args(annotation)):
        origin = get_origin(candidate) or candidate
        if origin in (list, set, tuple, frozenset):
            return "list"
        if origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel)):
            return "table"
    return None


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def register_secrets(model: BaseModel) -> None:
    """Register every secret value of `model` (SecretStr fields, passwords in URLs) with the
    masking of logs and error messages, so no message can quote one."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            register_secrets(value)
        elif isinstance(value, SecretStr):
            register_secret(value.get_secret_value())
            register_secret(_url_password(value.get_secret_value()))
        elif isinstance(value, str):
            register_secret(_url_password(value))


def _url_password(value: str) -> str | None:
    if "://" not in value:
        return None
    try:
        return unquote(urlsplit(value).password or "") or None
    except ValueError:
        return None


def require_secret(value: SecretStr | None, *, section: str, field: str) -> str:
    """Return a secret's value, or stop with a message naming every place that was looked in."""
    secret = value.get_secret_value() if value is not None else ""
    if not secret or secret.lower() in {"changeme", "change-me", "xxx", "todo", "<token>"}:
        env = f"{ENV_PREFIX}{section.upper()}_{field.upper()}"
        raise ConfigError(
            f"{section}.{field} is not set",
            hint=f"set {env}, or `{field} = ...` under [{section}] in {config_file()}",
        )
    return secret


def _drop_unset(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            nested = _drop_unset(value)
            if nested:
                cleaned[key] = nested
        elif value is not None:
            cleaned[key] = value
    return cleaned


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        problems.append(f"{where}: {error['msg']}")
    return "invalid settings: " + "; ".join(problems)


def _layers() -> str:
    return f"CLI flags, {ENV_PREFIX}* environment variables, {config_file()}"
