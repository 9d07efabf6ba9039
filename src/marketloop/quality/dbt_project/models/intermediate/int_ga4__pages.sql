{#- GA4 page rows of one property per page key and day, pages only (no "(other)" row). Two
    properties that both measure a site (an old and a new one, or a roll-up) report the same
    visits; summing both would double count. The property kept: the configured one
    (`quality.ga4_property_id`), else the one with the most sessions, then the first by id. -#}
{{ config(materialized='view', enabled=has_table('ga4', 'pages')) }}
{%- set preferred = var('marketloop_preferred', {}).get('ga4_property_id') or '' -%}

with pages as (
    select *
    from {{ ref('stg_ga4__pages') }}
    where not is_other_row and page_key is not null
),

chosen as (
    select date, page_key, property_id
    from (
        select
            date, page_key, property_id,
            row_number() over (
                partition by date, page_key
                order by
                    case when property_id = '{{ preferred | replace("'", "''") }}' then 0 else 1 end,
                    coalesce(sum(sessions), 0) desc,
                    property_id
            ) as pick
        from pages
        group by date, page_key, property_id
    ) ranked
    where pick = 1
)

select pages.*
from pages
inner join chosen
    on chosen.date = pages.date
    and chosen.page_key = pages.page_key
    and chosen.property_id = pages.property_id
