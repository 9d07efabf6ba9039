{#- True when the warehouse holds `source_name`.`table_name` (marketloop passes the inventory
    in the `marketloop_tables` var); models of absent tables disable themselves with it. -#}
{% macro has_table(source_name, table_name) %}
  {{ return(table_name in var('marketloop_tables', {}).get(source_name, [])) }}
{% endmacro %}

{% macro freshness_var(source_name, key) %}
  {{ return(var('marketloop_freshness')[source_name][key]) }}
{% endmacro %}
