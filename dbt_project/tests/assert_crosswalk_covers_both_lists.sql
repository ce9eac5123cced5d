-- Every province of the 2004 list is mapped by the crosswalk (exactly once: old_gso_code is
-- the bridge's primary key), and every province of the 2025 list has at least one
-- constituent old province.
with

provinces as (

    select province_key, list_version, province_name
    from {{ ref('dim_province') }}

),

bridge as (

    select old_province_key, new_province_key
    from {{ ref('bridge_province_2025') }}

)

select
    provinces.province_key,
    provinces.province_name,
    'old province not in the crosswalk' as problem
from provinces
where provinces.list_version = '2004'
  and not exists (select 1 from bridge where bridge.old_province_key = provinces.province_key)

union all

select
    provinces.province_key,
    provinces.province_name,
    'new province without constituents' as problem
from provinces
where provinces.list_version = '2025'
  and not exists (select 1 from bridge where bridge.new_province_key = provinces.province_key)
