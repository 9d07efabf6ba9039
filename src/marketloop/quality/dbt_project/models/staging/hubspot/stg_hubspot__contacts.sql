{{ config(enabled=has_table('hubspot', 'contacts')) }}

with typed as (
    select
        {{ contract_columns(source('hubspot', 'contacts'), [
            ['id', 'varchar'],
            ['email', 'varchar'],
            ['firstname', 'varchar'],
            ['lastname', 'varchar'],
            ['lifecyclestage', 'varchar'],
            ['hs_analytics_first_url', 'varchar', 'first_url'],
            ['hs_analytics_source', 'varchar', 'analytics_source'],
            ['createdate', 'timestamp with time zone', 'created_at'],
            ['hs_lastmodifieddate', 'timestamp with time zone', 'modified_at'],
            ['archived', 'boolean'],
            ['archived_at', 'timestamp with time zone'],
        ]) }},
        _dlt_load_id
    from {{ source('hubspot', 'contacts') }}
)

select
    id,
    email,
    firstname,
    lastname,
    lifecyclestage,
    first_url,
    {{ page_key('first_url') }} as first_page_key,
    analytics_source,
    created_at,
    modified_at,
    coalesce(archived, false) as archived,
    archived_at,
    _dlt_load_id
from typed
