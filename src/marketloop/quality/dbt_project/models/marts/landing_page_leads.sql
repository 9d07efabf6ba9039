{#- Contacts and deal value by first-touch page (HubSpot `hs_analytics_first_url`, as a page key
    that matches page_performance). Archived contacts and deals are left out. Contacts without
    a first-touch URL are grouped under '(unknown)'. A deal counts once: for the page of its
    earliest-created associated contact, so deal values add up to the pipeline total. -#}
{%- set has_deals = has_table('hubspot', 'deals') and has_table('hubspot', 'deal_contacts') -%}
{{ config(enabled=has_table('hubspot', 'contacts')) }}

with contacts as (
    select
        id,
        coalesce(first_page_key, '(unknown)') as page_key,
        first_url,
        lifecyclestage,
        created_at
    from {{ ref('stg_hubspot__contacts') }}
    where not archived
),

by_page as (
    select
        page_key,
        min(first_url) as first_url,
        cast(count(*) as bigint) as contacts,
        cast(sum(case when lifecyclestage = 'lead' then 1 else 0 end) as bigint) as leads,
        cast(sum(case when lifecyclestage = 'marketingqualifiedlead' then 1 else 0 end) as bigint)
            as marketing_qualified,
        cast(sum(case when lifecyclestage = 'salesqualifiedlead' then 1 else 0 end) as bigint)
            as sales_qualified,
        cast(sum(case when lifecyclestage = 'customer' then 1 else 0 end) as bigint) as customers
    from contacts
    group by page_key
),

deal_value as (
{% if has_deals %}
    select
        attributed.page_key,
        cast(count(*) as bigint) as deals,
        cast(sum(coalesce(deals.amount, 0)) as double precision) as deal_value,
        cast(sum(case when deals.deal_stage = 'closedwon' then coalesce(deals.amount, 0) else 0 end)
            as double precision) as won_deal_value
    from (
        select
            links.deal_id,
            contacts.page_key,
            row_number() over (
                partition by links.deal_id order by contacts.created_at, contacts.id
            ) as pick
        from {{ ref('stg_hubspot__deal_contacts') }} as links
        inner join contacts on contacts.id = links.contact_id
    ) as attributed
    inner join {{ ref('stg_hubspot__deals') }} as deals
        on deals.id = attributed.deal_id and not coalesce(deals.archived, false)
    where attributed.pick = 1
    group by attributed.page_key
{% else %}
    select cast(null as varchar) as page_key, cast(null as bigint) as deals,
           cast(null as double precision) as deal_value,
           cast(null as double precision) as won_deal_value
    where 1 = 0
{% endif %}
)

select
    by_page.page_key,
    by_page.first_url,
    by_page.contacts,
    by_page.leads,
    by_page.marketing_qualified,
    by_page.sales_qualified,
    by_page.customers,
    coalesce(deal_value.deals, 0) as deals,
    coalesce(deal_value.deal_value, 0) as deal_value,
    coalesce(deal_value.won_deal_value, 0) as won_deal_value
from by_page
left join deal_value on deal_value.page_key = by_page.page_key
