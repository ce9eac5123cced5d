-- Procedures slowest against their statutory limit.
--
-- For the finished dossiers of each procedure with a limit in the catalogue: the median and
-- 90th percentile of working days used (days paused for the applicant's supplements are not
-- counted, DOMAIN.md §1) against the limit, and the share of dossiers that went over it. The
-- percentiles are read from each procedure's histogram of working days (a few dozen rows per
-- procedure), which is exact for whole days and far cheaper than sorting every dossier.
with

histogram as (

    select
        dossiers.procedure_code,
        dossiers.working_days_used,
        count(*) as dossiers
    from marts.fct_dossiers as dossiers
    where dossiers.is_finished
      and dossiers.working_days_used is not null
    group by 1, 2

),

cumulative as (

    select
        histogram.*,
        sum(histogram.dossiers) over (
            partition by histogram.procedure_code order by histogram.working_days_used
        ) as dossiers_up_to_here,
        sum(histogram.dossiers) over (partition by histogram.procedure_code) as finished_dossiers
    from histogram

),

by_procedure as (

    select
        procedures.procedure_id as procedure_code,
        procedures.procedure_name,
        procedures.statutory_limit_working_days,
        max(cumulative.finished_dossiers) as finished_dossiers,
        min(cumulative.working_days_used) filter (
            where cumulative.dossiers_up_to_here >= 0.5 * cumulative.finished_dossiers
        ) as median_working_days,
        min(cumulative.working_days_used) filter (
            where cumulative.dossiers_up_to_here >= 0.9 * cumulative.finished_dossiers
        ) as p90_working_days,
        max(cumulative.working_days_used) as max_working_days,
        coalesce(sum(cumulative.dossiers) filter (
            where cumulative.working_days_used > procedures.statutory_limit_working_days
        ), 0) as over_limit_dossiers
    from cumulative
    inner join marts.dim_procedure as procedures
        on procedures.procedure_id = cumulative.procedure_code
    where procedures.statutory_limit_working_days > 0
    group by 1, 2, 3

)

select
    procedure_code,
    procedure_name,
    statutory_limit_working_days,
    finished_dossiers,
    median_working_days,
    p90_working_days,
    max_working_days,
    round(p90_working_days / statutory_limit_working_days, 2) as p90_to_limit_ratio,
    round(100.0 * over_limit_dossiers / finished_dossiers, 1) as over_limit_percent
from by_procedure
order by p90_to_limit_ratio desc, over_limit_percent desc, procedure_code
limit 20
