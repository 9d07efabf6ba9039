{#- Page x day metrics from GA4 (pages report) and Search Console (web search), joined on the
    page key (see macros/page_key.sql). Either source may be absent; its columns are then null.
    Incremental: each run rebuilds the last `marketloop_lookback_days` days before the newest
    date already built, so late corrections land (use --full-refresh for an older backfill). -#}
{%- set has_ga4 = has_table('ga4', 'pages') -%}
{%- set has_gsc = has_table('gsc', 'search_analytics') -%}
{{ config(
    enabled=has_ga4 or has_gsc,
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['page_key', 'date'],
) }}

with ga4 as (
{% if has_ga4 %}
    select
        page_key,
        date,
        min(host_name) as host_name,
        min(page_path) as page_path,
        cast(sum(sessions) as bigint) as sessions,
        cast(sum(active_users) as bigint) as active_users,
        cast(sum(screen_page_views) as bigint) as screen_page_views,
        cast(sum(key_events) as double precision) as key_events,
        cast(sum(total_revenue) as double precision) as total_revenue
    from {{ ref('stg_ga4__pages') }}
    where not is_other_row and page_key is not null {{ lookback_filter() }}
    group by page_key, date
{% else %}
    select
        cast(null as varchar) as page_key, cast(null as date) as date,
        cast(null as varchar) as host_name, cast(null as varchar) as page_path,
        cast(null as bigint) as sessions, cast(null as bigint) as active_users,
        cast(null as bigint) as screen_page_views, cast(null as double precision) as key_events,
        cast(null as double precision) as total_revenue
    where 1 = 0
{% endif %}
),

gsc as (
{% if has_gsc %}
    select
        page_key,
        date,
        min(page) as gsc_page,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(position * impressions) as double precision) as position_weight
    from {{ ref('stg_gsc__search_analytics') }}
    where search_type = 'web' and page_key is not null {{ lookback_filter() }}
    group by page_key, date
{% else %}
    select
        cast(null as varchar) as page_key, cast(null as date) as date,
        cast(null as varchar) as gsc_page, cast(null as bigint) as clicks,
        cast(null as bigint) as impressions, cast(null as double precision) as position_weight
    where 1 = 0
{% endif %}
)

select
    coalesce(ga4.page_key, gsc.page_key) as page_key,
    coalesce(ga4.date, gsc.date) as date,
    ga4.host_name,
    ga4.page_path,
    gsc.gsc_page,
    ga4.sessions,
    ga4.active_users,
    ga4.screen_page_views,
    ga4.key_events,
    ga4.total_revenue,
    gsc.clicks,
    gsc.impressions,
    gsc.position_weight
from ga4
full outer join gsc
    on ga4.page_key = gsc.page_key and ga4.date = gsc.date
