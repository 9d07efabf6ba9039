{{ config(enabled=has_table('gsc', 'search_analytics')) }}

with typed as (
    select
        {{ contract_columns(source('gsc', 'search_analytics'), [
            ['site_url', 'varchar'],
            ['search_type', 'varchar'],
            ['date', 'date'],
            ['query', 'varchar'],
            ['page', 'varchar'],
            ['country', 'varchar'],
            ['device', 'varchar'],
            ['clicks', 'bigint'],
            ['impressions', 'bigint'],
            ['ctr', 'double precision'],
            ['position', 'double precision'],
            ['data_state', 'varchar'],
        ]) }},
        _dlt_load_id
    from {{ source('gsc', 'search_analytics') }}
)

select
    site_url,
    coalesce(search_type, 'web') as search_type,
    date,
    query,
    page,
    {{ page_key('page') }} as page_key,
    country,
    device,
    clicks,
    impressions,
    ctr,
    position,
    data_state,
    _dlt_load_id
from typed
