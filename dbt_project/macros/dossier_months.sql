{#
    One row per dossier × month it contributes to (DOMAIN.md §1, "Standard report columns"),
    the input of fct_procedure_cycle_times and fct_service_index. For each month:
      - is_received_in_month: received (Vietnam date) in the month;
      - is_finished_in_month: finished (clock stopped: NgayKetThucXuLy, or for status 10 without
        it the return) in the month; its outcome is fct_dossiers.outcome;
      - period_end_status: a dossier received and not finished at the period end is judged
        there, 'in_progress' (within time) or 'overdue'. The period end is the month's last day,
        or the as-of date in the as-of month. At the as-of date an open dossier keeps the outcome
        fct_dossiers gives it; at an earlier month end it is judged by its due date (overdue when
        the month end is after it) or, without one, by the working days from clock start to the
        month end, less the supplement pauses of a dossier that has finished since (the pauses of
        a dossier still open depend on the as-of date and are not subtracted), against the
        statutory limit. Refused, withdrawn and stopped dossiers are counted as received only.
    `facts` is fct_dossiers (or a relation with its columns), `calendar` dim_date;
    `months_to_rebuild`, when given, is a relation of month_start dates: only those months are
    produced (the incremental rebuild of the monthly marts).
#}
{% macro dossier_months(facts, calendar, months_to_rebuild=none) %}
    with

    spans as (

        select
            facts.*,
            {{ vietnam_date('facts.received_at') }} as received_date,
            {{ vietnam_date('coalesce(facts.finished_at, case when facts.status_code = 10 then facts.returned_at end)') }}
                as stop_date,
            {{ dossier_span_start_month('facts.received_at', 'facts.status_code') }} as span_start_month,
            {{ dossier_span_end_month('facts.received_at', 'facts.status_code', 'facts.finished_at',
                                      'facts.returned_at', 'facts.as_of_date') }} as span_end_month
        from {{ facts }} as facts

    ),

    {%- if months_to_rebuild is not none %}

    rebuilt_months as (

        select distinct month_start from {{ months_to_rebuild }}

    ),

    {%- endif %}

    expanded as (

        select
            spans.*,
            month_series::date as month_start,
            (month_series + interval '1 month' - interval '1 day')::date as month_end_date
        from spans
        cross join lateral generate_series(spans.span_start_month, spans.span_end_month, interval '1 month')
            as month_series
        where spans.span_start_month is not null
        {%- if months_to_rebuild is not none %}
            and spans.last_month >= (select min(month_start) from rebuilt_months)
            and spans.span_start_month <= (select max(month_start) from rebuilt_months)
            and month_series::date in (select month_start from rebuilt_months)
        {%- endif %}

    ),

    periods as (

        select
            expanded.*,
            case
                when expanded.month_start = date_trunc('month', expanded.as_of_date)::date
                    then least(expanded.as_of_date, expanded.month_end_date)
                else expanded.month_end_date
            end as period_end_date
        from expanded

    ),

    flagged as (

        select
            periods.*,
            periods.received_date between periods.month_start and periods.month_end_date as is_received_in_month,
            coalesce(periods.is_finished and periods.stop_date between periods.month_start and periods.month_end_date,
                     false) as is_finished_in_month,
            (periods.received_date <= periods.period_end_date
                and (periods.status_code in (2, 4, 5, 6)
                     or (periods.is_finished and periods.stop_date > periods.period_end_date)))
                as is_open_at_period_end
        from periods

    )

    select
        flagged.dossier_id,
        flagged.month_start,
        flagged.procedure_code,
        flagged.agency_code,
        flagged.gso_code,
        flagged.list_version,
        flagged.gso_code_2025,
        flagged.status_code,
        flagged.channel,
        flagged.is_paid_online,
        flagged.fee_amount,
        flagged.has_digitised_components,
        flagged.has_electronic_result,
        flagged.outcome,
        flagged.working_days_used,
        flagged.statutory_limit_working_days,
        flagged.is_received_in_month,
        flagged.is_finished_in_month,
        case
            when flagged.is_open_at_period_end then
                case
                    when flagged.status_code in (2, 4, 5, 6) and flagged.period_end_date = flagged.as_of_date
                        then flagged.outcome
                    when flagged.due_at is not null then
                        case
                            when flagged.period_end_date <= {{ vietnam_date('flagged.due_at') }} then 'in_progress'
                            else 'overdue'
                        end
                    when flagged.statutory_limit_working_days is not null
                        and period_end_day.working_day_number is not null
                        and clock_start_day.working_day_number is not null then
                        case
                            when greatest(
                                period_end_day.working_day_number - clock_start_day.working_day_number
                                    - case when flagged.is_finished then flagged.paused_working_days else 0 end,
                                0
                            ) <= flagged.statutory_limit_working_days then 'in_progress'
                            else 'overdue'
                        end
                end
        end as period_end_status
    from flagged
    left join {{ calendar }} as period_end_day
        on period_end_day.date_day = flagged.period_end_date
    left join {{ calendar }} as clock_start_day
        on clock_start_day.date_day = flagged.clock_start_date
{% endmacro %}

{#
    The `facts` dossier_months reads in a monthly mart: fct_dossiers on a full build; on an
    incremental one only the dossiers whose last month (fct_dossiers_base.last_month, stored:
    closed dossiers keep theirs, open ones are rewritten whenever the as-of date moves) reaches
    the first month rebuilt, with the as-of date of this build. A filter on a stored column
    instead of computing the spans of every dossier to keep those of a few months.
#}
{% macro dossier_months_facts() -%}
    {%- if is_incremental() -%}
    (
        select base.*, state.as_of_date
        from {{ ref('fct_dossiers_base') }} as base
        cross join {{ ref('int_build_state') }} as state
        where base.last_month >= (select min(month_start) from {{ ref('int_months_to_rebuild') }})
    )
    {%- else -%}
    {{ ref('fct_dossiers') }}
    {%- endif -%}
{%- endmacro %}
