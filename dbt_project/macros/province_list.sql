{#
    The province list a GSO code is read against (DOMAIN.md §3): '2004' (63 provinces) before
    2025-07-01 00:00 Vietnam time, '2025' (34 provinces) from then on. `timestamptz_expression`
    is the receipt time (or, not yet received, the submission time).
#}
{% macro province_list_version(timestamptz_expression) -%}
    case
        when ({{ timestamptz_expression }})
            < ('2025-07-01 00:00:00'::timestamp at time zone {{ vietnam_timezone() }})
            then '2004'
        else '2025'
    end
{%- endmacro %}
