-- Agencies with the most overdue dossiers now.
--
-- "Now" is the as-of date the marts were built for (fct_dossiers.as_of_date, normally today in
-- Vietnam): a dossier still open past its due date is overdue (quá hạn). The agency's name,
-- level and province come from dim_agency, on the province list in force when it was last seen.
with

overdue as (

    select
        dossiers.agency_code,
        count(*) as overdue_dossiers,
        min(dossiers.due_at) as oldest_due_at,
        max(dossiers.working_days_used) as most_working_days_used,
        max(dossiers.as_of_date) as as_of_date
    from marts.fct_dossiers as dossiers
    where dossiers.is_overdue_at_as_of
    group by dossiers.agency_code

)

select
    overdue.agency_code,
    agencies.agency_name,
    agencies.level as agency_level,
    provinces.province_name,
    overdue.overdue_dossiers,
    overdue.oldest_due_at,
    overdue.most_working_days_used,
    overdue.as_of_date
from overdue
left join marts.dim_agency as agencies
    on agencies.agency_id = overdue.agency_code
left join marts.dim_province as provinces
    on provinces.province_key = agencies.province_key
order by overdue.overdue_dossiers desc, overdue.oldest_due_at, overdue.agency_code
limit 20
