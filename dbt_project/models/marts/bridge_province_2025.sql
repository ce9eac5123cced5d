-- Old province (list '2004') -> new province (list '2025'), from the GSO crosswalk seed, plus
-- each province merged away before 2025 (Hà Tây into Hà Nội on 2008-08-01), which follows the
-- province that took it in. Names come from dim_province so they read the same everywhere.
with

crosswalk as (

    select * from {{ ref('province_crosswalk_2025') }}

),

territory_changes as (

    select * from {{ ref('province_territory_changes') }}

),

provinces as (

    select * from {{ ref('dim_province') }}

),

merged_before_2025 as (

    select
        territory_changes.gso_code as old_code,
        absorber.new_code,
        'absorbed_before_2025' as role,
        'no' as same_code_new_territory,
        'no' as new_name_differs_from_old_name_of_code
    from territory_changes
    inner join crosswalk as absorber
        on absorber.old_code = territory_changes.into_gso_code
    where territory_changes.change = 'merged'
        and territory_changes.list_version = '2004'

),

mappings as (

    select
        old_code,
        new_code,
        role,
        same_code_new_territory,
        new_name_differs_from_old_name_of_code
    from crosswalk

    union all

    select * from merged_before_2025

)

select
    -- ids
    mappings.old_code::text as old_gso_code,
    mappings.new_code::text as new_gso_code,
    (mappings.old_code || '-2004')::text as old_province_key,
    (mappings.new_code || '-2025')::text as new_province_key,

    -- names
    old_province.province_name::text as old_province_name,
    new_province.province_name::text as new_province_name,

    -- how the territory moved
    mappings.role::text as role,
    (mappings.same_code_new_territory = 'yes')::boolean as is_code_kept_for_larger_territory,
    (mappings.new_name_differs_from_old_name_of_code = 'yes')::boolean as is_code_now_other_province
from mappings
left join provinces as old_province
    on old_province.province_key = mappings.old_code || '-2004'
left join provinces as new_province
    on new_province.province_key = mappings.new_code || '-2025'
