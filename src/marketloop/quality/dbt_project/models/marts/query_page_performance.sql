{#- One row per query, page, day and search type (summed over countries and devices; one Search
    Console property per search row): which pages answer a query, the input to
    cannibalisation checks. Incremental by dlt load (macros/rebuild.sql). -#}
{{ config(
    enabled=has_table('gsc', 'search_analytics'),
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['query', 'page_key', 'date', 'search_type'],
    on_schema_change='append_new_columns',
) }}

with
{% if is_incremental() %}
rebuild_dates as ({{ rebuild_dates({'gsc_load_id': ref('stg_gsc__search_analytics')}) }}),
{% endif %}

gsc_loads as (
    {{ load_ids_by_date(ref('stg_gsc__search_analytics'), 'gsc_load_id') }}
),

pairs as (
    select
        query,
        page_key,
        min(page) as page,
        date,
        search_type,
        {{ search_metrics() }}
    from {{ ref('int_gsc__search_analytics') }}
    where query is not null and page_key is not null {{ rebuild_filter() }}
    group by query, page_key, date, search_type
)

select pairs.*, gsc_loads.gsc_load_id
from pairs
left join gsc_loads on gsc_loads.date = pairs.date
