{#- Published briefs, as marketloop's app database records them (integrations/published.py),
    loaded into the warehouse by `quality run` before dbt runs. Briefs without a URL yet (a new
    piece before it is live) are left out: there is nothing to measure. -#}
{{ config(enabled=has_table('content', 'published_briefs')) }}

with typed as (
    select
        {{ contract_columns(source('content', 'published_briefs'), [
            ['slug', 'varchar'],
            ['cluster', 'varchar'],
            ['action', 'varchar'],
            ['url', 'varchar'],
            ['published_at', 'timestamp with time zone'],
            ['channel', 'varchar'],
        ]) }}
    from {{ source('content', 'published_briefs') }}
)

select
    slug,
    cluster,
    action,
    url,
    {{ page_key('url') }} as page_key,
    published_at,
    cast(published_at as date) as published_date,
    channel
from typed
where url is not null and url <> ''
