{#- A published value oriented so that larger is better, for ranking: negated where the index's
    methodology says lower is better (unknown methodology: higher is better). One definition for
    every index mart. -#}
{% macro index_ranking_value(value, higher_is_better) -%}
    case when coalesce({{ higher_is_better }}, true) then {{ value }} else -{{ value }} end
{%- endmacro %}
