{# Decision 766 points of a rate that scores linearly up to the rate (a var) earning full marks. #}
{% macro scaled_points(maximum, rate, full_marks_var) -%}
    {#- least() skips nulls: without a rate there are no points, not full marks. #}
    (case when {{ rate }} is not null then {{ maximum }} * least({{ rate }} / {{ var(full_marks_var) }}::numeric, 1) end)
{%- endmacro %}
