{#
    The working-day clock and outcome of every dossier (model int_dossiers_clocked), or only of
    the dossiers whose ids `dossier_ids_sql` (a SELECT of dossier ids) returns: the incremental
    build of fct_dossiers_base clocks just the changed dossiers, looking up their deliveries and
    events directly (macros portal_dossiers / portal_dossier_events) rather than through the
    staging views, which rank every delivery ever loaded.
#}
{% macro clock_dossiers(dossier_ids_sql=none) %}
{%- set on_time_comparison = var('on_time_comparison') %}
{%- if on_time_comparison not in ['date', 'timestamp'] %}
    {{ exceptions.raise_compiler_error(
        "var on_time_comparison must be 'date' or 'timestamp', got '" ~ on_time_comparison ~ "'") }}
{%- endif %}
{%- set as_of_date = var('as_of_date', none) %}

with

dossiers as (

    {%- if dossier_ids_sql is none %}
    select * from {{ ref('stg_portal__dossiers') }}
    {%- else %}
    {{ portal_dossiers(dossier_ids_sql) }}
    {%- endif %}

),

supplements as (

    select
        dossier_id,
        requested_at,
        supplement_received_at
    {%- if dossier_ids_sql is none %}
    from {{ ref('stg_portal__dossier_events') }}
    {%- else %}
    from ({{ portal_dossier_events('select dossier_id, load_id, source_row_number from dossiers') }}) as events
    {%- endif %}
    where event_kind = 'supplement'

),

procedures as (

    select
        procedure_id,
        statutory_limit_value,
        statutory_limit_unit
    from {{ ref('stg_portal__procedure_catalogue') }}

),

calendar as (

    select
        date_day,
        is_working_day,
        working_day_number
    from {{ ref('dim_date') }}

),

as_of as (

    select
    {%- if as_of_date %}
        '{{ as_of_date }}'::date as as_of_date
    {%- else %}
        {{ vietnam_date('now()') }} as as_of_date
    {%- endif %}

),

dossier_states as (

    select
        dossiers.*,
        as_of.as_of_date,
        dossiers.status_code in (9, 10) as is_finished,
        dossiers.status_code in (2, 4, 5, 6) as is_open,
        -- The clock stops at NgayKetThucXuLy; a returned dossier (10) without it stops
        -- when its result was returned.
        case
            when dossiers.status_code in (9, 10)
                then coalesce(
                    dossiers.finished_at,
                    case when dossiers.status_code = 10 then dossiers.returned_at end
                )
        end as clock_stopped_at,
        {{ vietnam_date('dossiers.received_at') }} as received_date,
        {{ vietnam_time_of_day('dossiers.received_at') }}
            >= '{{ var("office_hours_cutoff") }}'::time as is_received_after_hours
    from dossiers
    cross join as_of

),

supplement_pauses as (

    -- A supplement pauses the clock from its request to its receipt. A request of an open
    -- dossier still waiting for the applicant pauses it up to the as-of date; a request
    -- with a missing date cannot be measured and pauses nothing (greatest() skips nulls).
    select
        supplements.dossier_id,
        count(*) as supplement_count,
        sum(greatest(resumed_day.working_day_number - requested_day.working_day_number, 0))
            as paused_working_days,
        sum(greatest(supplements.supplement_received_at - supplements.requested_at, interval '0 seconds'))
            as paused_duration
    from supplements
    inner join dossier_states
        on dossier_states.dossier_id = supplements.dossier_id
    left join calendar as requested_day
        on requested_day.date_day = {{ vietnam_date('supplements.requested_at') }}
    left join calendar as resumed_day
        on resumed_day.date_day = coalesce(
            {{ vietnam_date('supplements.supplement_received_at') }},
            case when dossier_states.is_open then dossier_states.as_of_date end
        )
    group by supplements.dossier_id

),

clocked as (

    select
        dossier_states.*,
        -- Counted from the delivered supplement requests when there are any, else as delivered.
        coalesce(supplement_pauses.supplement_count, dossier_states.supplement_count_delivered, 0)
            as supplement_count,
        coalesce(supplement_pauses.paused_working_days, 0) as paused_working_days,
        coalesce(supplement_pauses.paused_duration, interval '0 seconds') as paused_duration,
        -- Received on a working day before the cut-off: the clock starts that day; otherwise
        -- on the next working day (a non-working day carries the previous working day's number).
        received_day.working_day_number
            + case
                when received_day.is_working_day and not dossier_states.is_received_after_hours then 0
                else 1
            end as clock_start_working_day_number,
        stop_day.working_day_number as clock_stop_working_day_number,
        -- The limit in working days: hours over the working day's length (var working_hours_per_day);
        -- calendar days and months as the working days inside that calendar window from receipt.
        case procedures.statutory_limit_unit
            when 'working_days' then procedures.statutory_limit_value
            when 'hours' then ceil(procedures.statutory_limit_value / {{ var('working_hours_per_day') }})
            when 'days' then calendar_deadline_day.working_day_number - received_day.working_day_number
            when 'months' then calendar_deadline_day.working_day_number - received_day.working_day_number
        end as statutory_limit_working_days
    from dossier_states
    left join supplement_pauses
        on supplement_pauses.dossier_id = dossier_states.dossier_id
    left join procedures
        on procedures.procedure_id = dossier_states.procedure_code
    left join calendar as received_day
        on received_day.date_day = dossier_states.received_date
    left join calendar as calendar_deadline_day
        on calendar_deadline_day.date_day = case procedures.statutory_limit_unit
            when 'days' then dossier_states.received_date + procedures.statutory_limit_value::integer
            when 'months' then (dossier_states.received_date
                + make_interval(months => procedures.statutory_limit_value::integer))::date
        end
    left join calendar as stop_day
        on stop_day.date_day = case
            when dossier_states.is_finished then {{ vietnam_date('dossier_states.clock_stopped_at') }}
            when dossier_states.is_open then dossier_states.as_of_date
        end

),

measured as (

    select
        clocked.*,
        clock_start_day.date_day as clock_start_date,
        clocked.clock_stop_working_day_number
            - clocked.clock_start_working_day_number
            - clocked.paused_working_days as working_days_elapsed,
        clocked.clock_stopped_at - clocked.paused_duration as effective_finished_at
    from clocked
    left join calendar as clock_start_day
        on clock_start_day.working_day_number = clocked.clock_start_working_day_number
       and clock_start_day.is_working_day

),

judged as (

    select
        measured.*,
        -- Refused (3), withdrawn (7), stopped (8) and not yet received (1) dossiers are not
        -- timed. A dossier finished the day it was received after hours never goes below 0.
        case
            when (is_finished or is_open) and working_days_elapsed is not null
                then greatest(working_days_elapsed, 0)
        end as working_days_used
    from measured

),

outcomes as (

    select
        judged.*,
        case
            when is_finished then
                case
                    when supplement_count > 1 then 'late'
                    when due_at is not null and effective_finished_at is not null then
                    {%- if on_time_comparison == 'date' %}
                        case
                            when {{ vietnam_date('effective_finished_at') }} < {{ vietnam_date('due_at') }} then 'early'
                            when {{ vietnam_date('effective_finished_at') }} = {{ vietnam_date('due_at') }} then 'on_time'
                            else 'late'
                        end
                    {%- else %}
                        case
                            when effective_finished_at < due_at then 'early'
                            when effective_finished_at = due_at then 'on_time'
                            else 'late'
                        end
                    {%- endif %}
                    -- Without NgayHenTra the statutory limit decides (early is not distinguished).
                    when due_at is null and working_days_used is not null and statutory_limit_working_days is not null then
                        case when working_days_used <= statutory_limit_working_days then 'on_time' else 'late' end
                end
            when is_open then
                case
                    when due_at is not null then
                        case when as_of_date <= {{ vietnam_date('due_at') }} then 'in_progress' else 'overdue' end
                    when working_days_used is not null and statutory_limit_working_days is not null then
                        case when working_days_used <= statutory_limit_working_days then 'in_progress' else 'overdue' end
                end
        end as outcome
    from judged

)

select
    -- ids
    dossier_id,
    load_id,
    load_started_at,
    gso_code,
    procedure_code,
    agency_code,

    -- names as delivered (dim_agency, dim_procedure)
    agency_name,
    procedure_name,
    field_name,

    -- status and attributes
    status_code,
    channel,
    online_level,
    paid_online,
    is_paid_online,
    fee_amount,
    has_digitised_components,
    has_electronic_result,

    -- milestones
    submitted_at,
    received_at,
    due_at,
    finished_at,
    returned_at,
    refused_at,

    -- clock
    is_finished,
    is_open,
    as_of_date,
    received_date,
    is_received_after_hours,
    clock_start_date,
    clock_stopped_at,
    supplement_count,
    paused_working_days,
    paused_duration,
    effective_finished_at,
    statutory_limit_working_days,
    working_days_used,
    outcome
from outcomes
{% endmacro %}
