{#- Search Console rows, one per search fact: a site verified both as a domain property
    (sc-domain:shop.test) and as a URL-prefix property (https://www.shop.test/) reports the same
    row (search type, date, query, page, country, device) under both, and summing both would
    double count. One row per fact is kept, from: the configured property
    (`quality.gsc_site_url`), else the domain property, else the one with the most impressions,
    then the first by name. A row only one property reports (its anonymisation differs, or the
    page is outside the other's prefix) is kept as it is. -#}
{{ config(materialized='view', enabled=has_table('gsc', 'search_analytics')) }}
{%- set preferred = var('marketloop_preferred', {}).get('gsc_site_url') or '' -%}

select *
from (
    select
        src.*,
        row_number() over (
            partition by search_type, date, query, page, country, device
            order by
                case
                    when site_url = '{{ preferred | replace("'", "''") }}' then 0
                    when site_url like 'sc-domain:%' then 1
                    else 2
                end,
                impressions desc,
                site_url
        ) as property_pick
    from {{ ref('stg_gsc__search_analytics') }} as src
) ranked
where property_pick = 1
