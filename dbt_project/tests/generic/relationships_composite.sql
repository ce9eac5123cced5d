{#
    Every row whose key columns are all non-null has a parent row with the same values in
    `fields` of `to`: the built-in relationships test for a composite key, e.g.
    (gso_code, list_version) -> dim_province. dbt_utils is not available offline.
#}
{% test relationships_composite(model, columns, to, fields) %}

{%- if columns | length != fields | length or columns | length == 0 %}
    {{ exceptions.raise_compiler_error(
        "relationships_composite needs as many `fields` as `columns`, got " ~ columns ~ " and " ~ fields) }}
{%- endif %}

select
    {%- for column in columns %}
    child.{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ model }} as child
where
    {%- for column in columns %}
    child.{{ column }} is not null and
    {%- endfor %}
    not exists (
        select 1
        from {{ to }} as parent
        where
            {%- for column in columns %}
            parent.{{ fields[loop.index0] }} = child.{{ column }}{{ " and" if not loop.last }}
            {%- endfor %}
    )

{% endtest %}
