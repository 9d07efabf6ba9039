{#- Search Console web clicks per page over the last 28 days against the 28 days before, both
    ending at the newest date of Search Console data (not today: Search Console lags). A page is
    `decaying` when it had at least `marketloop_decay.min_clicks` clicks in the earlier window and
    its clicks fell by more than `marketloop_decay.share` of them (settings: quality.decay_share,
    quality.decay_min_clicks). Only built when the data covers both windows (56 days); pages
    with no clicks in either window are left out. `briefs generate` turns decaying pages into
    update briefs (quality/loop.py). -#}
{{ config(enabled=has_table('gsc', 'search_analytics')) }}

with bounds as (
    select max(date) as newest_date, min(date) as oldest_date
    from {{ ref('int_page_daily') }}
    where clicks is not null
),

windows as (
    select
        daily.page_key,
        min(daily.gsc_page) as url,
        cast(sum(case when daily.date > {{ dbt.dateadd('day', -28, 'bounds.newest_date') }}
                      then daily.clicks else 0 end) as bigint) as clicks_recent,
        cast(sum(case when daily.date <= {{ dbt.dateadd('day', -28, 'bounds.newest_date') }}
                      then daily.clicks else 0 end) as bigint) as clicks_before,
        cast(sum(case when daily.date > {{ dbt.dateadd('day', -28, 'bounds.newest_date') }}
                      then daily.impressions else 0 end) as bigint) as impressions_recent,
        cast(sum(case when daily.date <= {{ dbt.dateadd('day', -28, 'bounds.newest_date') }}
                      then daily.impressions else 0 end) as bigint) as impressions_before,
        min(bounds.newest_date) as newest_date
    from {{ ref('int_page_daily') }} as daily
    cross join bounds
    where daily.clicks is not null
      and daily.date > {{ dbt.dateadd('day', -56, 'bounds.newest_date') }}
      and bounds.oldest_date <= {{ dbt.dateadd('day', -55, 'bounds.newest_date') }}
    group by daily.page_key
)

select
    page_key,
    url,
    cast({{ dbt.dateadd('day', -27, 'newest_date') }} as date) as recent_start,
    cast(newest_date as date) as recent_end,
    clicks_before,
    clicks_recent,
    impressions_before,
    impressions_recent,
    {{ safe_divide('clicks_recent - clicks_before', 'clicks_before') }} as clicks_change,
    clicks_before >= {{ var('marketloop_decay')['min_clicks'] }}
        and clicks_recent < clicks_before * (1 - {{ var('marketloop_decay')['share'] }}) as decaying
from windows
where clicks_before > 0 or clicks_recent > 0
