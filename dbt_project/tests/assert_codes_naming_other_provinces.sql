-- A GSO code is not a stable key across 2025-07-01: the codes whose province on the 2025
-- list has a different name from their province on the 2004 list (names compared folded)
-- must be exactly the codes the crosswalk flags (new_name_differs_from_old_name_of_code),
-- which DOMAIN.md §3 lists as 15, 24, 44, 52, 80, 82, 91.
with

old_list as (

    select gso_code, province_name
    from {{ ref('dim_province') }}
    where list_version = '2004'

),

new_list as (

    select gso_code, province_name
    from {{ ref('dim_province') }}
    where list_version = '2025'

),

renamed_in_dimension as (

    select old_list.gso_code
    from old_list
    inner join new_list
        on new_list.gso_code = old_list.gso_code
    where {{ fold_name('old_list.province_name') }} <> {{ fold_name('new_list.province_name') }}

),

flagged_by_crosswalk as (

    select old_code as gso_code
    from {{ ref('province_crosswalk_2025') }}
    where new_name_differs_from_old_name_of_code = 'yes'

),

documented (gso_code) as (

    values ('15'), ('24'), ('44'), ('52'), ('80'), ('82'), ('91')

),

codes as (

    select gso_code from renamed_in_dimension
    union
    select gso_code from flagged_by_crosswalk
    union
    select gso_code from documented

)

select
    codes.gso_code,
    renamed_in_dimension.gso_code is not null as is_renamed_in_dimension,
    flagged_by_crosswalk.gso_code is not null as is_flagged_by_crosswalk,
    documented.gso_code is not null as is_documented
from codes
left join renamed_in_dimension on renamed_in_dimension.gso_code = codes.gso_code
left join flagged_by_crosswalk on flagged_by_crosswalk.gso_code = codes.gso_code
left join documented on documented.gso_code = codes.gso_code
where renamed_in_dimension.gso_code is null
   or flagged_by_crosswalk.gso_code is null
   or documented.gso_code is null
