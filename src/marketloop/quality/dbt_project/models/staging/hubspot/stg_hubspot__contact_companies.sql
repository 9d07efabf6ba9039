{{ config(enabled=has_table('hubspot', 'contact_companies')
                  and has_table('hubspot', 'contacts') and has_table('hubspot', 'companies')) }}

select
    {{ contract_columns(source('hubspot', 'contact_companies'), [
        ['contact_id', 'varchar'],
        ['company_id', 'varchar'],
    ]) }}
from {{ source('hubspot', 'contact_companies') }}
