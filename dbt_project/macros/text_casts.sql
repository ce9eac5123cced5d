{# Raw columns are text as delivered; these keep the staging casts short and identical. #}

{% macro text_or_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{# '1' / '0' flags; anything else (empty, unexpected) stays unknown rather than false. #}
{% macro text_to_flag(column) -%}
    case trim({{ column }}) when '1' then true when '0' then false end
{%- endmacro %}
