{#- Published content, measured: one row per published brief and week relative to its
    publication, from the 4 weeks before it (week -4 to -1) up to the week holding the newest
    date of data. Week 0 starts on the publication day (UTC date). `period`: 'before' (the 28
    days before), 'after' (the 28 days from publication), 'since' (every later week).
    Search Console web clicks, impressions, CTR and impression-weighted position, GA4 sessions
    (int_page_daily, joined on the page key), and leads: non-archived HubSpot contacts created
    that week whose first-touch page is the published URL. Weeks without data have zeros;
    columns of an absent source are null. -#}
{%- set has_daily = has_table('ga4', 'pages') or has_table('gsc', 'search_analytics') -%}
{%- set has_contacts = has_table('hubspot', 'contacts') -%}
{{ config(enabled=has_table('content', 'published_briefs') and has_daily) }}

with published as (
    select * from {{ ref('stg_content__published_briefs') }}
),

daily as (
    select daily.*, {{ dbt.datediff('published.published_date', 'daily.date', 'day') }} as day_offset,
           published.slug
    from {{ ref('int_page_daily') }} as daily
    inner join published on published.page_key = daily.page_key
    where daily.date >= {{ dbt.dateadd('day', -28, 'published.published_date') }}
),

newest as (
    select max(date) as newest_date from {{ ref('int_page_daily') }}
),

weeks as (
    select
        published.slug,
        cast(series.generated_number as integer) - 5 as week
    from published
    cross join ({{ dbt.generate_series(1000) }}) as series
    cross join newest
    where cast(series.generated_number as integer) - 5
        <= floor({{ dbt.datediff('published.published_date', 'newest.newest_date', 'day') }} / 7.0)
),

traffic as (
    select
        slug,
        cast(floor(day_offset / 7.0) as integer) as week,
        cast(count(*) as bigint) as days_with_data,
        cast(sum(clicks) as bigint) as clicks,
        cast(sum(impressions) as bigint) as impressions,
        cast(sum(position_weight) as double precision) as position_weight,
        cast(sum(sessions) as bigint) as sessions
    from daily
    group by slug, cast(floor(day_offset / 7.0) as integer)
),

leads as (
{% if has_contacts %}
    select
        published.slug,
        cast(floor({{ dbt.datediff('published.published_date', 'cast(contacts.created_at as date)', 'day') }} / 7.0) as integer) as week,
        cast(count(*) as bigint) as leads
    from {{ ref('stg_hubspot__contacts') }} as contacts
    inner join published on published.page_key = contacts.first_page_key
    where not contacts.archived
    group by 1, 2
{% else %}
    select cast(null as varchar) as slug, cast(null as integer) as week,
           cast(null as bigint) as leads
    where 1 = 0
{% endif %}
)

select
    published.slug,
    published.cluster,
    published.action,
    published.url,
    published.page_key,
    published.published_at,
    weeks.week,
    case when weeks.week < 0 then 'before' when weeks.week < 4 then 'after' else 'since' end
        as period,
    cast({{ dbt.dateadd('day', '7 * weeks.week', 'published.published_date') }} as date) as week_start,
    cast({{ dbt.dateadd('day', '7 * weeks.week + 6', 'published.published_date') }} as date) as week_end,
    coalesce(traffic.days_with_data, 0) as days_with_data,
    coalesce(traffic.clicks, 0) as clicks,
    coalesce(traffic.impressions, 0) as impressions,
    {{ safe_divide('traffic.clicks', 'traffic.impressions') }} as ctr,
    {{ safe_divide('traffic.position_weight', 'traffic.impressions') }} as position,
    coalesce(traffic.sessions, 0) as sessions,
    {% if has_contacts %}coalesce(leads.leads, 0){% else %}cast(null as bigint){% endif %} as leads
from published
inner join weeks on weeks.slug = published.slug
left join traffic on traffic.slug = weeks.slug and traffic.week = weeks.week
left join leads on leads.slug = weeks.slug and leads.week = weeks.week
