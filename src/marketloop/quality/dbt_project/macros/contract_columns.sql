{#- Select the contract's columns from a dlt table, each cast to its contract type.

    dlt creates a column only once it has seen a non-null value, so a column that has always
    been empty (archived_at, thresholding_applied, ...) may be missing: it is selected as a typed
    null instead, so staging models keep one shape. `columns` is a list of
    [name, type] or [name, type, alias]. -#}
{% macro contract_columns(relation, columns) %}
  {%- set present = [] -%}
  {%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- do present.append(column.name | lower) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for spec in columns -%}
    {%- set name, type = spec[0], spec[1] -%}
    {%- set alias = spec[2] if spec | length > 2 else name -%}
    {%- if name in present or not execute -%}
    cast({{ adapter.quote(name) }} as {{ type }}) as {{ alias }}
    {%- else -%}
    cast(null as {{ type }}) as {{ alias }}
    {%- endif -%}
    {{ "," if not loop.last }}
  {% endfor -%}
{% endmacro %}
