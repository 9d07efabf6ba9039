{{ config(enabled=has_table('hubspot', 'deals')) }}

select
    {{ contract_columns(source('hubspot', 'deals'), [
        ['id', 'varchar'],
        ['dealname', 'varchar', 'deal_name'],
        ['amount', 'double precision'],
        ['dealstage', 'varchar', 'deal_stage'],
        ['pipeline', 'varchar'],
        ['closedate', 'timestamp with time zone', 'closed_at'],
        ['createdate', 'timestamp with time zone', 'created_at'],
        ['hs_lastmodifieddate', 'timestamp with time zone', 'modified_at'],
        ['archived', 'boolean'],
        ['archived_at', 'timestamp with time zone'],
    ]) }},
    _dlt_load_id
from {{ source('hubspot', 'deals') }}
