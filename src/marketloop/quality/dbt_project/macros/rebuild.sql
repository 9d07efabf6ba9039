{#- Incremental models rebuild by dlt load, not by date: a run rebuilds every date that appears
    in a load newer than the newest load already built, per source. So a source connected later,
    a backfill or a catch-up of old days reaches the marts, however old its dates are; and a late
    correction lands because it arrives in a new load. Each incremental model keeps, per source,
    the load it was built from in a `<source>_load_id` column (the newest `_dlt_load_id` of the
    source rows of that date). dlt load ids are Unix timestamps as text ("1732612345.123456"),
    so they compare in load order as text.
    In addition, the last `marketloop_lookback_days` days before the newest date built are always
    rebuilt (0 turns that off). -#}

{#- The newest load id already built from one source ('' when nothing was, or when the built
    table predates the column: every load is then newer and the whole source is rebuilt). -#}
{% macro built_load_id(column) -%}
  {%- set present = [] -%}
  {%- if execute and is_incremental() -%}
    {%- for c in adapter.get_columns_in_relation(this) -%}
      {%- do present.append(c.name | lower) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if column in present -%}
  (select coalesce(max({{ column }}), '') from {{ this }})
  {%- else -%}
  ''
  {%- endif -%}
{%- endmacro %}

{#- The dates an incremental run rebuilds; `loads` maps a load id column of this model to the
    relation holding that source's rows (with `date` and `_dlt_load_id`). Use as a CTE body. -#}
{% macro rebuild_dates(loads) %}
  {%- for column, relation in loads.items() %}
    select date from {{ relation }} where _dlt_load_id > {{ built_load_id(column) }}
    union
  {%- endfor %}
    select date from {{ this }}
    where date >= (
        select cast({{ dbt.dateadd('day', -1 * var('marketloop_lookback_days'), 'max(date)') }} as date)
        from {{ this }})
{% endmacro %}

{#- Keeps only the rows of the dates to rebuild (needs a `rebuild_dates` CTE on incremental runs). -#}
{% macro rebuild_filter(column='date') %}
  {%- if is_incremental() %}
  and {{ column }} in (select date from rebuild_dates)
  {%- endif %}
{% endmacro %}

{#- Per date, the newest load of a source's rows: what `<source>_load_id` records. -#}
{% macro load_ids_by_date(relation, column) %}
    select date, max(_dlt_load_id) as {{ column }}
    from {{ relation }}
    where true {{ rebuild_filter() }}
    group by date
{% endmacro %}
