{#- Contacts and deals by first-touch page (HubSpot `hs_analytics_first_url`, as a page key
    that matches page_performance). Archived contacts and deals are left out. Contacts without
    a first-touch URL are grouped under '(unknown)'. A deal counts once: for the page of its
    earliest-created non-archived associated contact, so deal figures add up to the pipeline
    total; a deal without one is counted under '(no contact)'.
    deals: every deal; deal_value: open and won deals (closedlost is left out, it is not value);
    open_deal_value: neither closedwon nor closedlost; won_deal_value: closedwon. The stage ids
    are those of HubSpot's default pipeline. -#}
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
        coalesce(attributed.page_key, '(no contact)') as page_key,
        cast(count(*) as bigint) as deals,
        cast(sum(case when deals.deal_stage = 'closedlost' then 0 else coalesce(deals.amount, 0) end)
            as double precision) as deal_value,
        cast(sum(case when deals.deal_stage in ('closedwon', 'closedlost') then 0
                      else coalesce(deals.amount, 0) end)
            as double precision) as open_deal_value,
        cast(sum(case when deals.deal_stage = 'closedwon' then coalesce(deals.amount, 0) else 0 end)
            as double precision) as won_deal_value
    from {{ ref('stg_hubspot__deals') }} as deals
    left join (
        select
            links.deal_id,
            contacts.page_key,
            row_number() over (
                partition by links.deal_id order by contacts.created_at, contacts.id
            ) as pick
        from {{ ref('stg_hubspot__deal_contacts') }} as links
        inner join contacts on contacts.id = links.contact_id
    ) as attributed
        on attributed.deal_id = deals.id and attributed.pick = 1
    where not coalesce(deals.archived, false)
    group by coalesce(attributed.page_key, '(no contact)')
{% else %}
    select cast(null as varchar) as page_key, cast(null as bigint) as deals,
           cast(null as double precision) as deal_value,
           cast(null as double precision) as open_deal_value,
           cast(null as double precision) as won_deal_value
    where 1 = 0
{% endif %}
)

select
    coalesce(by_page.page_key, deal_value.page_key) as page_key,
    by_page.first_url,
    coalesce(by_page.contacts, 0) as contacts,
    coalesce(by_page.leads, 0) as leads,
    coalesce(by_page.marketing_qualified, 0) as marketing_qualified,
    coalesce(by_page.sales_qualified, 0) as sales_qualified,
    coalesce(by_page.customers, 0) as customers,
    coalesce(deal_value.deals, 0) as deals,
    coalesce(deal_value.deal_value, 0) as deal_value,
    coalesce(deal_value.open_deal_value, 0) as open_deal_value,
    coalesce(deal_value.won_deal_value, 0) as won_deal_value
from by_page
full outer join deal_value on deal_value.page_key = by_page.page_key
