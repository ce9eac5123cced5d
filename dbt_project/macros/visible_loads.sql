{#- The loads staging may read: committed ('loaded') and passed or warned by their raw gate.
    A quarantined, rejected, failed or still-running load never reaches staging. One rule for
    every staging model, so a change to visibility is made once. -#}
{% macro visible_loads() %}
    select
        load_id,
        started_at
    from {{ source('audit', 'loads') }}
    where status = 'loaded'
      and gate_outcome in ('pass', 'warn')
{% endmacro %}
