{#- On an incremental run, keep only rows from `marketloop_lookback_days` before the newest
    date already built, so late corrections in the sources replace what was built before. -#}
{% macro lookback_filter(column='date') %}
  {%- if is_incremental() %}
  and {{ column }} >= (
    select coalesce(
      cast({{ dbt.dateadd('day', -1 * var('marketloop_lookback_days'), 'max(date)') }} as date),
      cast('1900-01-01' as date))
    from {{ this }})
  {%- endif %}
{% endmacro %}

{% macro safe_divide(numerator, denominator) -%}
  case when {{ denominator }} is null or {{ denominator }} = 0 then null
  else cast({{ numerator }} as double precision) / {{ denominator }} end
{%- endmacro %}
