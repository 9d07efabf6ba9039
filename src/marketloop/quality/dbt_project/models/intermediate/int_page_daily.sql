{#- Page x day metrics from GA4 (pages report, one property per page and day) and Search
    Console (web search, each search row once across properties), joined on the page key (see
    macros/page_key.sql). Either source may be absent; its columns are then null.
    Incremental by dlt load (macros/rebuild.sql): a run rebuilds every date present in a GA4 or
    Search Console load newer than the newest one built (`ga4_load_id`, `gsc_load_id`), so a
    source connected later or a backfill of old days lands, and so do late corrections. -#}
{%- set has_ga4 = has_table('ga4', 'pages') -%}
{%- set has_gsc = has_table('gsc', 'search_analytics') -%}
{%- set loads = {} -%}
{%- if has_ga4 %}{% do loads.update({'ga4_load_id': ref('stg_ga4__pages')}) %}{% endif -%}
{%- if has_gsc %}{% do loads.update({'gsc_load_id': ref('stg_gsc__search_analytics')}) %}{% endif -%}
{{ config(
    enabled=has_ga4 or has_gsc,
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['page_key', 'date'],
    on_schema_change='append_new_columns',
) }}

with
{% if is_incremental() %}
rebuild_dates as ({{ rebuild_dates(loads) }}),
{% endif %}

ga4 as (
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
    from {{ ref('int_ga4__pages') }}
    where true {{ rebuild_filter() }}
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

ga4_loads as (
{% if has_ga4 %}
    {{ load_ids_by_date(ref('stg_ga4__pages'), 'ga4_load_id') }}
{% else %}
    select cast(null as date) as date, cast(null as varchar) as ga4_load_id where 1 = 0
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
    from {{ ref('int_gsc__search_analytics') }}
    where search_type = 'web' and page_key is not null {{ rebuild_filter() }}
    group by page_key, date
{% else %}
    select
        cast(null as varchar) as page_key, cast(null as date) as date,
        cast(null as varchar) as gsc_page, cast(null as bigint) as clicks,
        cast(null as bigint) as impressions, cast(null as double precision) as position_weight
    where 1 = 0
{% endif %}
),

gsc_loads as (
{% if has_gsc %}
    {{ load_ids_by_date(ref('stg_gsc__search_analytics'), 'gsc_load_id') }}
{% else %}
    select cast(null as date) as date, cast(null as varchar) as gsc_load_id where 1 = 0
{% endif %}
),

pages as (
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
)

select
    pages.*,
    ga4_loads.ga4_load_id,
    gsc_loads.gsc_load_id
from pages
left join ga4_loads on ga4_loads.date = pages.date
left join gsc_loads on gsc_loads.date = pages.date
