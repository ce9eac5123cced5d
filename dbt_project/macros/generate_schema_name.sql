{#
    Models and seeds land in exactly the schema they configure (staging, intermediate,
    marts, reference), not dbt's default "<target schema>_<custom schema>": the warehouse
    contract names these schemas and BI grants are given on them.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
