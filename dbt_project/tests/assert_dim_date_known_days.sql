-- Calendar facts checked by hand against government notices: a wrong or missing holiday
-- seed shows up here before it shifts every working-day count.
with

expected (date_day, is_working_day, why) as (

    values
        ('2024-04-29'::date, false, 'substituted day off for the 2024-05-04 make-up Saturday'),
        ('2024-04-30'::date, false, 'Reunification Day'),
        ('2024-05-04'::date, true, 'make-up working Saturday'),
        ('2024-05-05'::date, false, 'Sunday'),
        ('2025-01-24'::date, true, 'last working day before Tết 2025'),
        ('2025-01-29'::date, false, 'Tết Nguyên đán 2025 (lunar new year day)'),
        ('2025-01-31'::date, false, 'Tết Nguyên đán 2025'),
        ('2025-02-03'::date, true, 'first working day after Tết 2025'),
        ('2025-04-26'::date, true, 'make-up working Saturday'),
        ('2025-05-02'::date, false, 'substituted day off for the 2025-04-26 make-up Saturday'),
        ('2025-09-02'::date, false, 'National Day')

)

select
    expected.date_day,
    expected.why,
    expected.is_working_day as expected_is_working_day,
    dim_date.is_working_day as actual_is_working_day
from expected
left join {{ ref('dim_date') }} as dim_date
    on dim_date.date_day = expected.date_day
where dim_date.is_working_day is distinct from expected.is_working_day
