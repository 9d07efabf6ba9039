{#- One row per query, page, day and search type (summed over countries and devices): which
    pages answer a query, the input to cannibalisation checks. -#}
{{ config(
    enabled=has_table('gsc', 'search_analytics'),
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['query', 'page_key', 'date', 'search_type'],
) }}

select
    query,
    page_key,
    min(page) as page,
    date,
    search_type,
    cast(sum(clicks) as bigint) as clicks,
    cast(sum(impressions) as bigint) as impressions,
    {{ safe_divide('sum(clicks)', 'sum(impressions)') }} as ctr,
    {{ safe_divide('sum(position * impressions)', 'sum(impressions)') }} as position
from {{ ref('stg_gsc__search_analytics') }}
where query is not null and page_key is not null {{ lookback_filter() }}
group by query, page_key, date, search_type
