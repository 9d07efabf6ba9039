{{ config(enabled=has_table('hubspot', 'companies')) }}

select
    {{ contract_columns(source('hubspot', 'companies'), [
        ['id', 'varchar'],
        ['name', 'varchar'],
        ['domain', 'varchar'],
        ['industry', 'varchar'],
        ['createdate', 'timestamp with time zone', 'created_at'],
        ['hs_lastmodifieddate', 'timestamp with time zone', 'modified_at'],
        ['archived', 'boolean'],
        ['archived_at', 'timestamp with time zone'],
    ]) }},
    _dlt_load_id
from {{ source('hubspot', 'companies') }}
