{#- Which of the `candidates` ({schema: [table, ...]}) exist in the target database, for
    `quality run` on a warehouse marketloop reaches only through dbt (quality/external.py):
    logged as one JSON line, `marketloop_inventory {"ga4": ["pages", "_dlt_loads"], ...}`.
    `adapter.get_relation` works the same on every adapter. -#}
{% macro marketloop_inventory(candidates) %}
  {%- set found = {} -%}
  {%- for schema, tables in candidates.items() -%}
    {%- for table in tables -%}
      {%- if adapter.get_relation(database=target.database, schema=schema, identifier=table) is not none -%}
        {%- do found.setdefault(schema, []).append(table) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ log("marketloop_inventory " ~ tojson(found), info=True) }}
{% endmacro %}
