{{ config(enabled=has_table('ga4', 'traffic_sources')) }}

with typed as (
    select
        {{ contract_columns(source('ga4', 'traffic_sources'), [
            ['property_id', 'varchar'],
            ['date', 'date'],
            ['session_default_channel_group', 'varchar'],
            ['session_source', 'varchar'],
            ['session_medium', 'varchar'],
            ['sessions', 'bigint'],
            ['key_events', 'double precision'],
            ['is_other_row', 'boolean'],
            ['thresholding_applied', 'boolean'],
        ]) }},
        _dlt_load_id
    from {{ source('ga4', 'traffic_sources') }}
)

select
    property_id,
    date,
    session_default_channel_group as channel_group,
    session_source as source,
    session_medium as medium,
    sessions,
    key_events,
    coalesce(is_other_row, false) as is_other_row,
    coalesce(thresholding_applied, false) as thresholding_applied,
    _dlt_load_id
from typed
