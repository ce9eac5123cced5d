-- The 2004 list has 63 provinces and the 2025 list 34 (DOMAIN.md §3), each with 6 centrally
-- governed cities (Hà Nội, Hải Phòng, Huế, Đà Nẵng, Hồ Chí Minh, Cần Thơ; Huế counted as a
-- city on the 2004 list too, as in the crosswalk).
with

expected (list_version, province_count, city_count) as (

    values ('2004', 63, 6), ('2025', 34, 6)

),

actual as (

    select
        list_version,
        count(*) as province_count,
        count(*) filter (where unit_type = 'city') as city_count
    from {{ ref('dim_province') }}
    group by list_version

)

select
    coalesce(expected.list_version, actual.list_version) as list_version,
    expected.province_count as expected_provinces,
    actual.province_count as actual_provinces,
    expected.city_count as expected_cities,
    actual.city_count as actual_cities
from expected
full outer join actual
    on actual.list_version = expected.list_version
where expected.province_count is distinct from actual.province_count
   or expected.city_count is distinct from actual.city_count
