{#
    Portal timestamps are delivered as ISO text in Vietnam local time without an offset
    ('2025-03-04 08:30:00'). They become timestamptz by reading them in Asia/Ho_Chi_Minh,
    and every calendar question ("which day was it received?") is asked in that zone again,
    so the answers never depend on the session time zone.
#}
{% macro vietnam_timezone() -%}
    'Asia/Ho_Chi_Minh'
{%- endmacro %}

{% macro vietnam_text_to_timestamptz(column) -%}
    (nullif(trim({{ column }}), '')::timestamp at time zone {{ vietnam_timezone() }})
{%- endmacro %}

{% macro vietnam_date(timestamptz_expression) -%}
    (({{ timestamptz_expression }}) at time zone {{ vietnam_timezone() }})::date
{%- endmacro %}

{% macro vietnam_time_of_day(timestamptz_expression) -%}
    (({{ timestamptz_expression }}) at time zone {{ vietnam_timezone() }})::time
{%- endmacro %}
