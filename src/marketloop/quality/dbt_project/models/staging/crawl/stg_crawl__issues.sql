{{ config(enabled=has_table('crawl', 'issues') and has_table('crawl', 'pages')) }}

with typed as (
    select
        {{ contract_columns(source('crawl', 'issues'), [
            ['crawl_id', 'varchar'],
            ['check', 'varchar', 'check_id'],
            ['severity', 'varchar'],
            ['url', 'varchar'],
            ['detail', 'varchar'],
        ]) }}
    from {{ source('crawl', 'issues') }}
)

select
    crawl_id,
    check_id,
    severity,
    url,
    {{ page_key('url') }} as page_key,
    detail
from typed
