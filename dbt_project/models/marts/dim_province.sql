-- The two province lists (DOMAIN.md §3): the 63 provinces of list '2004' (until 2025-06-30)
-- and the 34 of list '2025' (from 2025-07-01). A GSO code is a key only together with its
-- list: codes 15, 24, 44, 52, 80, 82, 91 name different provinces on the two lists.
with

provinces as (

    select * from {{ ref('provinces') }}

)

select
    -- ids
    (gso_code || '-' || list_version)::text as province_key,
    gso_code::text as gso_code,
    list_version::text as list_version,

    -- names
    province_name::text as province_name,
    official_name::text as official_name,
    (case
        when official_name like 'Thành phố %' then 'city'
        else 'province'
    end)::text as unit_type,

    -- validity
    valid_from::date as valid_from,
    valid_to::date as valid_to
from provinces
