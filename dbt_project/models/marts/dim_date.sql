-- The working-day calendar. A working day is Monday-Friday that is not a public holiday or
-- substituted day off, or a Saturday the government declared a make-up working day.
-- working_day_number counts working days from the first calendar day, so the working days
-- between two dates are a subtraction; a non-working day carries the number of the
-- working day before it.
with

days as (

    select calendar_day::date as date_day
    from generate_series(
        '{{ var("calendar_start_date") }}'::date,
        '{{ var("calendar_end_date") }}'::date,
        interval '1 day'
    ) as calendar_day

),

public_holidays as (

    select
        holiday_date,
        string_agg(distinct holiday_name, '; ' order by holiday_name) as holiday_name
    from {{ ref('vn_public_holidays') }}
    group by holiday_date

),

makeup_working_days as (

    select distinct "date" as makeup_date
    from {{ ref('vn_makeup_working_days') }}
    where kind = 'make_up_working_day'

),

classified as (

    select
        days.date_day,
        extract(isodow from days.date_day)::integer as day_of_week,
        extract(year from days.date_day)::integer as year,
        extract(month from days.date_day)::integer as month,
        public_holidays.holiday_name,
        public_holidays.holiday_date is not null as is_public_holiday,
        makeup_working_days.makeup_date is not null as is_makeup_working_day
    from days
    left join public_holidays
        on public_holidays.holiday_date = days.date_day
    left join makeup_working_days
        on makeup_working_days.makeup_date = days.date_day

),

working_days as (

    select
        *,
        (day_of_week <= 5 and not is_public_holiday) or is_makeup_working_day as is_working_day
    from classified

)

select
    date_day,
    is_working_day,
    holiday_name,
    sum(case when is_working_day then 1 else 0 end) over (
        order by date_day rows between unbounded preceding and current row
    )::integer as working_day_number,
    day_of_week,
    year,
    month,
    is_public_holiday,
    is_makeup_working_day
from working_days
