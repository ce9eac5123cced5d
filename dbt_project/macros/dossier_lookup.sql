{#- A value of one dossier of fct_dossiers_base, joined by its dossier id: a primary-key lookup
    (lateral with limit, not flattened into a join over every fact). -#}
{% macro dossier_lookup(select_list, dossier_id, alias) -%}
    left join lateral (
        select {{ select_list }}
        from {{ ref('fct_dossiers_base') }} as facts
        where facts.dossier_id = {{ dossier_id }}
        limit 1
    ) as {{ alias }} on true
{%- endmacro %}
