{{ config(enabled=has_table('ga4', 'pages')) }}

with typed as (
    select
        {{ contract_columns(source('ga4', 'pages'), [
            ['property_id', 'varchar'],
            ['date', 'date'],
            ['host_name', 'varchar'],
            ['page_path', 'varchar'],
            ['sessions', 'bigint'],
            ['active_users', 'bigint'],
            ['screen_page_views', 'bigint'],
            ['key_events', 'double precision'],
            ['engagement_rate', 'double precision'],
            ['total_revenue', 'double precision'],
            ['is_other_row', 'boolean'],
            ['thresholding_applied', 'boolean'],
        ]) }},
        _dlt_load_id
    from {{ source('ga4', 'pages') }}
)

select
    property_id,
    date,
    lower(host_name) as host_name,
    page_path,
    {{ page_key_from_parts('host_name', 'page_path') }} as page_key,
    sessions,
    active_users,
    screen_page_views,
    key_events,
    engagement_rate,
    total_revenue,
    coalesce(is_other_row, false) as is_other_row,
    coalesce(thresholding_applied, false) as thresholding_applied,
    _dlt_load_id
from typed
