{#- Search Console rows of one property per page key, day and search type. A site verified both
    as a domain property (sc-domain:shop.test) and as a URL-prefix property
    (https://www.shop.test/) reports the same searches twice; summing both would double count.
    The property kept: the configured one (`quality.gsc_site_url`), else the domain property,
    else the one with the most impressions, then the first by name. -#}
{{ config(materialized='view', enabled=has_table('gsc', 'search_analytics')) }}
{%- set preferred = var('marketloop_preferred', {}).get('gsc_site_url') or '' -%}

with per_site as (
    select date, search_type, page_key, site_url, coalesce(sum(impressions), 0) as impressions
    from {{ ref('stg_gsc__search_analytics') }}
    group by date, search_type, page_key, site_url
),

chosen as (
    select date, search_type, page_key, site_url
    from (
        select
            date, search_type, page_key, site_url,
            row_number() over (
                partition by date, search_type, page_key
                order by
                    case
                        when site_url = '{{ preferred | replace("'", "''") }}' then 0
                        when site_url like 'sc-domain:%' then 1
                        else 2
                    end,
                    impressions desc,
                    site_url
            ) as pick
        from per_site
    ) ranked
    where pick = 1
)

select src.*
from {{ ref('stg_gsc__search_analytics') }} as src
inner join chosen
    on chosen.date = src.date
    and chosen.search_type = src.search_type
    and chosen.page_key is not distinct from src.page_key
    and chosen.site_url = src.site_url
