-- Procedure × agency × month: what provinces publish per agency and period (DOMAIN.md §1,
-- "Standard report columns"), from fct_dossiers through macro dossier_months: received,
-- finished early / on time / late, in progress within time / overdue at the month end (the
-- as-of date in its month), the on-time rate and working-day statistics of the finished.
--
-- Incremental: deletes and rebuilds only the months in int_months_to_rebuild.
-- depends_on: {{ ref('int_months_to_rebuild') }}
-- depends_on: {{ ref('fct_dossiers_base') }}
-- depends_on: {{ ref('int_build_state') }}
-- depends_on: {{ ref('fct_dossiers') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{% if is_incremental() %}delete from {{ this }}
              where month_start in (select month_start from {{ ref('int_months_to_rebuild') }}){% endif %}",
) }}

with

dossier_months as (

    {{ dossier_months(
        dossier_months_facts(),
        ref('dim_date'),
        ref('int_months_to_rebuild') if is_incremental() else none,
    ) }}

),

counted as (

    select
        procedure_code,
        agency_code,
        month_start,
        count(*) filter (where is_received_in_month) as received_count,
        count(*) filter (where is_finished_in_month) as finished_count,
        count(*) filter (where is_finished_in_month and outcome = 'early') as finished_early_count,
        count(*) filter (where is_finished_in_month and outcome = 'on_time') as finished_on_time_count,
        count(*) filter (where is_finished_in_month and outcome = 'late') as finished_late_count,
        count(*) filter (where period_end_status = 'in_progress') as in_progress_within_time_count,
        count(*) filter (where period_end_status = 'overdue') as overdue_at_month_end_count,
        percentile_cont(0.5) within group (order by working_days_used)
            filter (where is_finished_in_month) as median_working_days,
        percentile_cont(0.9) within group (order by working_days_used)
            filter (where is_finished_in_month) as p90_working_days,
        avg(working_days_used / statutory_limit_working_days)
            filter (where is_finished_in_month and statutory_limit_working_days > 0)
            as average_share_of_statutory_limit
    from dossier_months
    group by procedure_code, agency_code, month_start

)

select
    -- ids
    (coalesce(procedure_code, '?') || '|' || coalesce(agency_code, '?') || '|' || to_char(month_start, 'YYYY-MM'))::text
        as fct_procedure_cycle_times_id,
    procedure_code::text as procedure_code,
    agency_code::text as agency_code,
    month_start::date as month_start,

    -- counts
    received_count::integer as received_count,
    finished_count::integer as finished_count,
    finished_early_count::integer as finished_early_count,
    finished_on_time_count::integer as finished_on_time_count,
    finished_late_count::integer as finished_late_count,
    in_progress_within_time_count::integer as in_progress_within_time_count,
    overdue_at_month_end_count::integer as overdue_at_month_end_count,

    -- rates and durations
    (case
        when finished_early_count + finished_on_time_count + finished_late_count > 0
            then (finished_early_count + finished_on_time_count)::numeric
                / (finished_early_count + finished_on_time_count + finished_late_count)
    end)::numeric(7, 6) as on_time_rate,
    median_working_days::numeric(10, 2) as median_working_days,
    p90_working_days::numeric(10, 2) as p90_working_days,
    average_share_of_statutory_limit::numeric(12, 6) as average_share_of_statutory_limit
from counted
