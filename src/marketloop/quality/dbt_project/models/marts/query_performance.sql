{#- One row per query, day and search type, summed over the pages shown (one Search Console
    property per search row; see int_gsc__search_analytics), countries and devices.
    Position is the impression-weighted average of Search Console's average positions.
    Caveats (docs/quality.md): Search Console counts one impression per page shown, so a search
    showing two pages of the site counts 2 impressions here, and the position averages both pages.
    Incremental by dlt load (macros/rebuild.sql); `gsc_load_id` is the load it was built from. -#}
{{ config(
    enabled=has_table('gsc', 'search_analytics'),
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['query', 'date', 'search_type'],
    on_schema_change='append_new_columns',
) }}

with
{% if is_incremental() %}
rebuild_dates as ({{ rebuild_dates({'gsc_load_id': ref('stg_gsc__search_analytics')}) }}),
{% endif %}

gsc_loads as (
    {{ load_ids_by_date(ref('stg_gsc__search_analytics'), 'gsc_load_id') }}
),

queries as (
    select
        query,
        date,
        search_type,
        {{ search_metrics() }},
        cast(count(distinct page_key) as bigint) as pages
    from {{ ref('int_gsc__search_analytics') }}
    where query is not null {{ rebuild_filter() }}
    group by query, date, search_type
)

select queries.*, gsc_loads.gsc_load_id
from queries
left join gsc_loads on gsc_loads.date = queries.date
