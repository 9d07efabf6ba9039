{{ config(enabled=has_table('crawl', 'pages')) }}

with typed as (
    select
        {{ contract_columns(source('crawl', 'pages'), [
            ['crawl_id', 'varchar'],
            ['url', 'varchar'],
            ['host', 'varchar'],
            ['depth', 'integer'],
            ['found_via', 'varchar'],
            ['is_internal', 'boolean'],
            ['status', 'integer'],
            ['error', 'varchar'],
            ['content_type', 'varchar'],
            ['fetched_at', 'timestamp with time zone'],
            ['canonical', 'varchar'],
            ['meta_robots', 'varchar'],
            ['x_robots_tag', 'varchar'],
            ['word_count', 'integer'],
            ['indexable', 'boolean'],
        ]) }}
    from {{ source('crawl', 'pages') }}
)

select
    crawl_id,
    url,
    {{ page_key('url') }} as page_key,
    host,
    depth,
    found_via,
    is_internal,
    status,
    error,
    content_type,
    fetched_at,
    canonical,
    meta_robots,
    x_robots_tag,
    word_count,
    coalesce(indexable, false) as indexable
from typed
