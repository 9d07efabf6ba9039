"""Where briefs go in a Notion database: the data source, and which column holds which field.

The data source's own schema decides each value's shape (a `status` or a `select` status, a
`people`, `select` or text owner), so the settings only name the columns. Every problem with
the database is found before anything is written and reported at once, with the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from marketloop.integrations.blocks import rich_text
from marketloop.integrations.config import NotionSettings
from marketloop.integrations.errors import NotionError
from marketloop.integrations.notion import NotionClient

Json = dict[str, Any]
COMPATIBLE: dict[str, tuple[str, ...]] = {  # field -> column types that can hold it
    "title": ("title",),
    "cluster": ("rich_text", "select"),
    "intent": ("select", "rich_text", "multi_select"),
    "opportunity": ("number",),
    "status": ("status", "select"),
    "owner": ("people", "rich_text", "select"),
    "marketloop_id": ("rich_text",),
}
SELECT_NAME_LIMIT = 100


@dataclass(frozen=True)
class Column:
    field: str  # the brief field, e.g. "status"
    name: str  # the Notion column, e.g. "Status"
    type: str  # the column's type in the data source
    options: frozenset[str] = frozenset()  # status options (Notion does not add new ones)


@dataclass(frozen=True)
class PageSchema:
    data_source_id: str
    columns: dict[str, Column] = field(default_factory=dict)  # by brief field

    def id_filter(self, marketloop_id: str) -> Json:
        column = self.columns["marketloop_id"]
        return {"property": column.name, "rich_text": {"equals": marketloop_id}}

    def values(
        self,
        fields: Json,
        person: Callable[[str], str | None],
        leave_out: Collection[str] = (),
    ) -> Json:
        """Notion property values for brief `fields`; `person` finds a user id for the owner.

        The columns of the fields in `leave_out` are not in the result, so they are not written.
        """
        values: Json = {}
        for name, column in self.columns.items():
            if name in leave_out:
                continue
            value = fields.get(name)
            values[column.name] = {column.type: _typed(column.type, value, person)}
        return values


def data_source_id(client: NotionClient, settings: NotionSettings) -> str:
    """The data source to publish into: the configured one, else the database's only one."""
    if settings.data_source_id:
        return settings.data_source_id
    if not settings.database_id:
        raise NotionError(
            "no Notion database to publish into",
            hint="set MARKETLOOP_NOTION_DATABASE_ID (the id in the database's URL) "
            "or `database_id = ...` under [notion]",
        )
    sources = client.database(settings.database_id).get("data_sources", [])
    if len(sources) == 1:
        return str(sources[0]["id"])
    listed = ", ".join(f"{s.get('name')!r} ({s['id']})" for s in sources) or "none"
    raise NotionError(
        f"database {settings.database_id} has {len(sources)} data sources: {listed}",
        hint="choose one with MARKETLOOP_NOTION_DATA_SOURCE_ID or [notion] data_source_id",
    )


def read_schema(source: Json, settings: NotionSettings) -> PageSchema:
    """Match the configured columns to the data source's schema, or say everything that is off."""
    properties: Json = source.get("properties", {})
    columns: dict[str, Column] = {}
    problems: list[str] = []
    for name, column_name in settings.properties.model_dump().items():
        if not column_name:
            continue  # left out on purpose
        found = properties.get(column_name)
        if found is None:
            problems.append(f"no column {column_name!r} (for {name})")
        elif found["type"] not in COMPATIBLE[name]:
            wanted = " or ".join(COMPATIBLE[name])
            problems.append(f"column {column_name!r} is {found['type']}, {name} needs {wanted}")
        else:
            options = frozenset(o["name"] for o in (found.get("status") or {}).get("options", []))
            columns[name] = Column(name, column_name, found["type"], options)
    problems += _missing_status_options(columns.get("status"), settings)
    if problems:
        raise NotionError(
            f"data source {source.get('id')} does not fit briefs: " + "; ".join(problems),
            hint="run `marketloop notion setup` to add missing columns, rename them in Notion, "
            "or map them under [notion.properties] (an empty name leaves a field out)",
        )
    return PageSchema(str(source["id"]), columns)


def missing_columns(source: Json, settings: NotionSettings) -> Json:
    """Schema for the configured columns the data source lacks (for `PATCH data_sources`).

    Status columns cannot be created through the API, so a missing status becomes a select.
    """
    properties = source.get("properties", {})
    missing: Json = {}
    for name, column_name in settings.properties.model_dump().items():
        if column_name and column_name not in properties and name != "title":
            kind = "select" if name == "status" else COMPATIBLE[name][0]
            missing[column_name] = {kind: {}}
    return missing


def _missing_status_options(column: Column | None, settings: NotionSettings) -> list[str]:
    if column is None or column.type != "status":
        return []
    unknown = sorted(set(settings.status_names.values()) - column.options)
    if not unknown:
        return []
    have = ", ".join(sorted(column.options)) or "none"
    return [
        f"status column {column.name!r} has no option {', '.join(map(repr, unknown))} "
        f"(it has {have}); add them in Notion or map them under [notion.status_names]"
    ]


def _typed(kind: str, value: Any, person: Callable[[str], str | None]) -> Any:
    text = "" if value is None else str(value)
    if kind in {"title", "rich_text"}:
        return rich_text(text)
    if kind == "number":
        return value
    name = text.replace(",", " ").strip()[:SELECT_NAME_LIMIT]  # Notion forbids commas in options
    if kind in {"select", "status"}:
        return {"name": name} if name else None
    if kind == "multi_select":
        return [{"name": name}] if name else []
    user = person(text) if text else None  # people
    return [{"id": user}] if user else []
