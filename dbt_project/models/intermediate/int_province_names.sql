-- Every spelling the province name resolver knows, keyed like ingest.reference.provinces.name_key:
-- official names, names without the unit prefix and the published variants of the alias
-- seed. The SQL twin of ingest.reference.provinces.name_keys(); a key names one province per list.
with

provinces as (

    select * from {{ ref('provinces') }}

),

aliases as (

    select * from {{ ref('province_aliases') }}

),

spellings as (

    select gso_code, list_version, province_name as spelling from provinces
    union all
    select gso_code, list_version, official_name as spelling from provinces
    union all
    select gso_code, list_version, alias as spelling from aliases

),

keyed as (

    select
        {{ province_name_key('spelling') }} as name_key,
        gso_code,
        list_version,
        spelling
    from spellings

)

select
    name_key,
    list_version,
    gso_code,
    gso_code || '-' || list_version as province_key,
    string_agg(distinct spelling, ' | ' order by spelling) as spellings
from keyed
group by name_key, list_version, gso_code
