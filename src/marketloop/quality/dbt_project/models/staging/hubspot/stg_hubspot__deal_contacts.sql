{{ config(enabled=has_table('hubspot', 'deal_contacts')
                  and has_table('hubspot', 'deals') and has_table('hubspot', 'contacts')) }}

select
    {{ contract_columns(source('hubspot', 'deal_contacts'), [
        ['deal_id', 'varchar'],
        ['contact_id', 'varchar'],
    ]) }}
from {{ source('hubspot', 'deal_contacts') }}
