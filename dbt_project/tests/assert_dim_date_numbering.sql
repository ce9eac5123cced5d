-- working_day_number steps by exactly 1 on each working day and 0 otherwise, from the
-- first calendar day, over a gap-free range of days.
with

numbered as (

    select
        date_day,
        is_working_day,
        working_day_number,
        lag(date_day) over (order by date_day) as previous_day,
        lag(working_day_number, 1, 0) over (order by date_day) as previous_number
    from {{ ref('dim_date') }}

)

select *
from numbered
where working_day_number - previous_number <> case when is_working_day then 1 else 0 end
   or (previous_day is not null and date_day - previous_day <> 1)
   or (previous_day is null and date_day <> '{{ var("calendar_start_date") }}'::date)
