{#- One row per page and day: GA4 traffic, Search Console web search performance, and the page's
    state in the latest crawl (status, indexability, open audit issues by severity).
    A view over the incremental int_page_daily, so crawl columns always reflect the latest crawl.
    Join rule: the page key (macros/page_key.sql). When several crawled URLs share a key (http and
    https, www and bare host, trailing slash), the one that answered 200 wins, then the shortest;
    the open issues counted are those of that URL only (not of the other URLs with the same key). -#}
{%- set has_crawl = has_table('crawl', 'pages') -%}
{%- set has_issues = has_table('crawl', 'issues') and has_crawl -%}
{{ config(
    materialized='view',
    enabled=has_table('ga4', 'pages') or has_table('gsc', 'search_analytics'),
) }}

with crawl_pages as (
{% if has_crawl %}
    select page_key, url, status, indexable
    from (
        select
            page_key, url, status, indexable,
            row_number() over (
                partition by page_key
                order by case when status = 200 then 0 else 1 end, length(url), url
            ) as pick
        from {{ ref('stg_crawl__pages') }}
        where page_key is not null
    ) ranked
    where pick = 1
{% else %}
    select cast(null as varchar) as page_key, cast(null as varchar) as url,
           cast(null as integer) as status, cast(null as boolean) as indexable
    where 1 = 0
{% endif %}
),

issues as (
{% if has_issues %}
    select
        url,
        cast(sum(case when severity = 'critical' then 1 else 0 end) as bigint) as critical,
        cast(sum(case when severity = 'warning' then 1 else 0 end) as bigint) as warning,
        cast(sum(case when severity = 'notice' then 1 else 0 end) as bigint) as notice
    from {{ ref('stg_crawl__issues') }}
    group by url
{% else %}
    select cast(null as varchar) as url, cast(null as bigint) as critical,
           cast(null as bigint) as warning, cast(null as bigint) as notice
    where 1 = 0
{% endif %}
)

select
    daily.page_key,
    daily.date,
    daily.host_name,
    daily.page_path,
    daily.gsc_page,
    daily.sessions,
    daily.active_users,
    daily.screen_page_views,
    daily.key_events,
    daily.total_revenue,
    daily.clicks,
    daily.impressions,
    {{ safe_divide('daily.clicks', 'daily.impressions') }} as ctr,
    {{ safe_divide('daily.position_weight', 'daily.impressions') }} as position,
    crawl_pages.page_key is not null as in_crawl,
    crawl_pages.url as crawl_url,
    crawl_pages.status as crawl_status,
    crawl_pages.indexable,
    {% if has_crawl %}
    case when crawl_pages.page_key is null then null else coalesce(issues.critical, 0) end as issues_critical,
    case when crawl_pages.page_key is null then null else coalesce(issues.warning, 0) end as issues_warning,
    case when crawl_pages.page_key is null then null else coalesce(issues.notice, 0) end as issues_notice
    {% else %}
    cast(null as bigint) as issues_critical,
    cast(null as bigint) as issues_warning,
    cast(null as bigint) as issues_notice
    {% endif %}
from {{ ref('int_page_daily') }} as daily
left join crawl_pages on crawl_pages.page_key = daily.page_key
left join issues on issues.url = crawl_pages.url
