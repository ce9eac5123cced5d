{#
    First and last day of an index edition's period (ingest/indices/periods.py): '2016' (a
    year), '2025-Q3' (quarter), '2025-10' (month), '2025-YTD-10' (year to date through October).
    A year or a year to date starts on 1 January.
#}
{% macro period_first_day(period) -%}
    (case
        when {{ period }} ~ '^[0-9]{4}-Q[1-4]$'
            then make_date(left({{ period }}, 4)::integer, 3 * right({{ period }}, 1)::integer - 2, 1)
        when {{ period }} ~ '^[0-9]{4}-[0-9]{2}$'
            then make_date(left({{ period }}, 4)::integer, right({{ period }}, 2)::integer, 1)
        else make_date(left({{ period }}, 4)::integer, 1, 1)
    end)
{%- endmacro %}

{% macro period_last_day(period) -%}
    (case
        when {{ period }} ~ '^[0-9]{4}-Q[1-4]$'
            then (make_date(left({{ period }}, 4)::integer, 3 * right({{ period }}, 1)::integer, 1)
                + interval '1 month - 1 day')::date
        when {{ period }} ~ '^[0-9]{4}-(YTD-)?[0-9]{2}$'
            then (make_date(left({{ period }}, 4)::integer, right({{ period }}, 2)::integer, 1)
                + interval '1 month - 1 day')::date
        else make_date(left({{ period }}, 4)::integer, 12, 31)
    end)
{%- endmacro %}
