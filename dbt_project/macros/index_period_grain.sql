{#- The grain of an index period, from its form: '2016' year, '2025-Q3' quarter, '2025-YTD-10'
    year to date, '2025-10' month (DOMAIN.md §2). One definition for every index mart. -#}
{% macro index_period_grain(period) -%}
    case
        when {{ period }} ~ '^[0-9]{4}$' then 'year'
        when {{ period }} ~ '^[0-9]{4}-Q[1-4]$' then 'quarter'
        when {{ period }} ~ '^[0-9]{4}-YTD-[0-9]{2}$' then 'year_to_date'
        when {{ period }} ~ '^[0-9]{4}-[0-9]{2}$' then 'month'
        else 'other'
    end
{%- endmacro %}
