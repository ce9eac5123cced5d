{{ config(severity='warn') }}
-- A substituted day off ("Ngày nghỉ (thay cho ngày 04/05/2024)", or in English
-- "Day off (substituted from 05/04/2024)") is paid back by working on the named weekend
-- day, which must then be listed in vn_makeup_working_days. A missing make-up day makes
-- that Saturday a non-working day and every working-day count across it one too small.
with

substituted as (

    select
        holiday_date,
        holiday_name,
        case
            when holiday_name ~ 'thay cho ngày [0-9]{2}/[0-9]{2}/[0-9]{4}'
                then to_date(substring(holiday_name from '([0-9]{2}/[0-9]{2}/[0-9]{4})'), 'DD/MM/YYYY')
            when holiday_name ~ 'substituted from [0-9]{2}/[0-9]{2}/[0-9]{4}'
                then to_date(substring(holiday_name from '([0-9]{2}/[0-9]{2}/[0-9]{4})'), 'MM/DD/YYYY')
        end as makeup_date
    from {{ ref('vn_public_holidays') }}

)

select
    substituted.holiday_date,
    substituted.holiday_name,
    substituted.makeup_date as missing_makeup_working_day
from substituted
left join {{ ref('vn_makeup_working_days') }} as makeup
    on makeup."date" = substituted.makeup_date
where substituted.makeup_date between '{{ var("calendar_start_date") }}'::date and '{{ var("calendar_end_date") }}'::date
  and makeup."date" is null
