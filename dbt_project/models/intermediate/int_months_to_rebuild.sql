-- The months (first day) the monthly marts (fct_procedure_cycle_times, fct_service_index)
-- rebuild in an incremental run: every month a changed delivery contributed to before or after
-- this run (int_dossiers_changed, fct_dossiers), and the months from the previous as-of date to
-- the new one (open dossiers are judged at the as-of date in its month, and a month that ended
-- in between is judged again at its end). After a full rebuild of fct_dossiers: every month.
{{ config(materialized='table') }}

with

state as (

    select * from {{ ref('int_build_state') }}

),

changed as (

    select * from {{ ref('int_dossiers_changed') }}

),

-- not materialized: referenced twice, PostgreSQL would otherwise compute the spans of every
-- dossier where an incremental run needs only the changed ones
all_facts as not materialized (

    select
        dossier_id,
        {{ dossier_span_start_month('received_at', 'status_code') }} as span_start_month,
        {{ dossier_span_end_month('received_at', 'status_code', 'finished_at', 'returned_at', 'as_of_date') }}
            as span_end_month
    from {{ ref('fct_dossiers') }}

),

-- the changed deliveries as they are now (a primary-key lookup each, not a scan)
changed_facts as (

    select *
    from all_facts
    where all_facts.dossier_id in (
        select changed.dossier_id from changed where changed.change_reason = 'delivery'
    )

),

spans as (

    -- every month after a full rebuild
    select min(span_start_month) as span_start_month, max(span_end_month) as span_end_month
    from all_facts
    where (select state.is_full_rebuild from state)

    union all

    -- the previous versions of the changed deliveries
    select previous_span_start_month, previous_span_end_month
    from changed
    where change_reason = 'delivery'

    union all

    -- their versions now
    select span_start_month, span_end_month
    from changed_facts

    union all

    -- between the two as-of dates
    select
        date_trunc('month', least(previous_as_of_date, as_of_date))::date as span_start_month,
        date_trunc('month', greatest(previous_as_of_date, as_of_date))::date as span_end_month
    from state
    where previous_as_of_date is distinct from as_of_date
      and previous_as_of_date is not null

)

select distinct month_series::date as month_start
from spans
cross join lateral generate_series(spans.span_start_month, spans.span_end_month, interval '1 month') as month_series
where spans.span_start_month is not null
  and spans.span_end_month is not null
