-- Old province (list '2004') -> new province (list '2025'), from the GSO crosswalk seed.
-- Names come from dim_province so they read the same everywhere.
with

crosswalk as (

    select * from {{ ref('province_crosswalk_2025') }}

),

provinces as (

    select * from {{ ref('dim_province') }}

)

select
    -- ids
    crosswalk.old_code::text as old_gso_code,
    crosswalk.new_code::text as new_gso_code,
    (crosswalk.old_code || '-2004')::text as old_province_key,
    (crosswalk.new_code || '-2025')::text as new_province_key,

    -- names
    old_province.province_name::text as old_province_name,
    new_province.province_name::text as new_province_name,

    -- how the territory moved
    crosswalk.role::text as role,
    (crosswalk.same_code_new_territory = 'yes')::boolean as is_code_kept_for_larger_territory,
    (crosswalk.new_name_differs_from_old_name_of_code = 'yes')::boolean as is_code_now_other_province
from crosswalk
left join provinces as old_province
    on old_province.province_key = crosswalk.old_code || '-2004'
left join provinces as new_province
    on new_province.province_key = crosswalk.new_code || '-2025'
