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
    The fct_dossiers table as it stands before this run merges into it, or none when the next
    build of fct_dossiers rebuilds it from scratch (first build, --full-refresh). Read by the
    models that must see the previous state (int_build_state, int_dossiers_changed); they are
    upstream of fct_dossiers, so they run before the merge.
#}
{% macro previous_fct_dossiers() -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='marts', identifier='fct_dossiers') -%}
    {%- if relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set column_names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- if 'loaded_at' not in column_names -%}
        {{ exceptions.raise_compiler_error(
            "marts.fct_dossiers was built before it became incremental (no column loaded_at): "
            ~ "run `parwh build --full-refresh` once") }}
    {%- endif -%}
    {{ return(relation) }}
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
