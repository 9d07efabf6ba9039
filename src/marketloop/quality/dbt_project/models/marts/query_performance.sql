{#- One row per query, day and search type, summed over pages, countries and devices.
    Position is the impression-weighted average of Search Console's average positions. -#}
{{ config(
    enabled=has_table('gsc', 'search_analytics'),
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['query', 'date', 'search_type'],
) }}

select
    query,
    date,
    search_type,
    cast(sum(clicks) as bigint) as clicks,
    cast(sum(impressions) as bigint) as impressions,
    {{ safe_divide('sum(clicks)', 'sum(impressions)') }} as ctr,
    {{ safe_divide('sum(position * impressions)', 'sum(impressions)') }} as position,
    cast(count(distinct page_key) as bigint) as pages
from {{ ref('stg_gsc__search_analytics') }}
where query is not null {{ lookback_filter() }}
group by query, date, search_type
