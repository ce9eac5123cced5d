{#
    The as-of date open dossiers are judged at: var `as_of_date`, or today in Asia/Ho_Chi_Minh.
    int_dossiers_clocked states the same rule; the incremental marts read it from int_build_state.
#}
{% macro as_of_date_expression() -%}
    {%- set as_of_date = var('as_of_date', none) -%}
    {%- if as_of_date -%}
        '{{ as_of_date }}'::date
    {%- else -%}
        {{ vietnam_date('now()') }}
    {%- endif -%}
{%- endmacro %}

{#
    The fct_dossiers_base table as it stands before this run merges into it, or none when the
    next build of it rebuilds it from scratch (first build, --full-refresh). Read by the models
    that must see the previous state (int_build_state, int_dossiers_changed); they are upstream
    of fct_dossiers_base, so they run before the merge.
#}
{% macro previous_fct_dossiers() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='marts', identifier='fct_dossiers_base')) }}
{%- endmacro %}

{#
    The view marts.fct_dossiers as BI reads it now (its as-of date is the previous build's), or
    none when it does not exist.
#}
{% macro previous_fct_dossiers_view() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='marts', identifier='fct_dossiers')) }}
{%- endmacro %}

{#
    The months (first day, date) a dossier contributes to in the monthly marts, from the month
    it was received to the month its clock stopped (finished) or, while open, the month of the
    as-of date. Dossiers never received (no received_at, or status 1) contribute to none.
    Arguments are SQL expressions on fct_dossiers columns.
#}
{% macro dossier_span_start_month(received_at, status_code) -%}
    (case
        when {{ received_at }} is not null and {{ status_code }} <> 1
            then date_trunc('month', {{ vietnam_date(received_at) }})::date
    end)
{%- endmacro %}

{% macro dossier_span_end_month(received_at, status_code, finished_at, returned_at, as_of_date) -%}
    (case
        when {{ received_at }} is not null and {{ status_code }} <> 1 then
            greatest(
                date_trunc('month', {{ vietnam_date(received_at) }})::date,
                case
                    when {{ status_code }} in (9, 10) then date_trunc('month', {{ vietnam_date(
                        'coalesce(' ~ finished_at ~ ', case when ' ~ status_code ~ ' = 10 then ' ~ returned_at ~ ' end)'
                    ) }})::date
                    when {{ status_code }} in (2, 4, 5, 6) then date_trunc('month', {{ as_of_date }})::date
                end
            )
    end)
{%- endmacro %}

{#
    The as-of date of this build as a date literal, read from int_build_state when the model
    that calls it is run (so a view built from it keeps the date the rows were judged at, not
    today's). Before int_build_state exists (a compile on an empty warehouse), the expression.
#}
{% macro built_as_of_date() -%}
    {%- set state = ref('int_build_state') -%}
    {%- if execute and adapter.get_relation(database=state.database, schema=state.schema,
                                            identifier=state.identifier) is not none -%}
        {%- set as_of = run_query('select as_of_date::text from ' ~ state).columns[0].values() -%}
        {%- if as_of | length == 1 -%}
            {{ return("'" ~ as_of[0] ~ "'::date") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(as_of_date_expression() ~ '::date') }}
{%- endmacro %}
