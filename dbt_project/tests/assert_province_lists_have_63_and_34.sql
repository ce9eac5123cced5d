-- The 2004 list has 63 provinces on its last day (2025-06-30) and 64 until Hà Tây merged into
-- Hà Nội (2008-07-31); the 2025 list has 34 (DOMAIN.md §3). Each has 6 centrally governed cities
-- (Hà Nội, Hải Phòng, Huế, Đà Nẵng, Hồ Chí Minh, Cần Thơ; Huế counted as a city on the 2004
-- list too, as in the crosswalk).
with

expected (list_version, on_day, province_count, city_count) as (

    values
        ('2004', date '2008-07-31', 64, 6),
        ('2004', date '2008-08-01', 63, 6),
        ('2004', date '2025-06-30', 63, 6),
        ('2025', date '2025-07-01', 34, 6)

),

actual as (

    select
        expected.list_version,
        expected.on_day,
        count(provinces.province_key) as province_count,
        count(provinces.province_key) filter (where provinces.unit_type = 'city') as city_count
    from expected
    left join {{ ref('dim_province') }} as provinces
        on provinces.list_version = expected.list_version
        and provinces.valid_from <= expected.on_day
        and (provinces.valid_to is null or provinces.valid_to >= expected.on_day)
    group by expected.list_version, expected.on_day

)

select
    expected.list_version,
    expected.on_day,
    expected.province_count as expected_provinces,
    actual.province_count as actual_provinces,
    expected.city_count as expected_cities,
    actual.city_count as actual_cities
from expected
inner join actual
    on actual.list_version = expected.list_version
    and actual.on_day = expected.on_day
where expected.province_count <> actual.province_count
   or expected.city_count <> actual.city_count

union all

-- a list version nobody expects
select
    provinces.list_version,
    null::date as on_day,
    null::integer as expected_provinces,
    count(*) as actual_provinces,
    null::integer as expected_cities,
    null::integer as actual_cities
from {{ ref('dim_province') }} as provinces
where provinces.list_version not in (select expected.list_version from expected)
group by provinces.list_version
