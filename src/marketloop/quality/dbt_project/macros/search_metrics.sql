{#- Search Console totals over the rows of a group: clicks, impressions, CTR as clicks over
    impressions (not an average of CTRs) and position as the impression-weighted average of
    Search Console's average positions. -#}
{% macro search_metrics() -%}
cast(sum(clicks) as bigint) as clicks,
        cast(sum(impressions) as bigint) as impressions,
        {{ safe_divide('sum(clicks)', 'sum(impressions)') }} as ctr,
        {{ safe_divide('sum(position * impressions)', 'sum(impressions)') }} as position
{%- endmacro %}
