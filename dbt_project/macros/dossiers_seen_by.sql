{#
    Per `group_column` of fct_dossiers_base (agency_code, procedure_code): how many dossiers, the
    first and last receipt (or, not received, submission) and, for each holder in `holders`
    ([name, condition] pairs), the dossier_id of the latest dossier meeting the condition: latest
    receipt (nulls lowest), then latest load, then greatest dossier_id. dim_agency and
    dim_procedure read their "latest" values from those dossiers.

    Incremental (merge on the group): only the dossiers whose delivery changed
    (int_dossiers_changed, reason 'delivery': an 'as_of' change never moves a dossier between
    groups nor changes its receipt or names) are read. A group combines its previous state with
    them: count less the previous versions, plus the current ones; first and last receipt and
    holders from the previous state and the current versions. A group is recomputed from all its
    dossiers only when a previous version that moved (other group or other receipt) could have
    been its first or last receipt, or a holder changed and its current version is no longer in
    the group, no longer carries the value or is earlier than before. A dossier re-read unchanged
    in the look-back window never forces that; every group is when fct_dossiers_base was rebuilt
    from scratch (int_build_state.is_full_rebuild). A group left without dossiers gets count 0
    and is deleted by the model's post-hook.
#}
{% macro dossiers_seen_by(group_column, previous_group_column, holders) %}
{%- set facts = ref('fct_dossiers_base') %}
{%- set holder_order = "coalesce(seen_at, '-infinity'::timestamptz) desc, loaded_at desc, dossier_id desc" %}
{#- What a dossier of `facts` counts with in its group: read for the changed dossiers and for the
    groups recomputed, alike. #}
{%- set seen_columns -%}
facts.{{ group_column }},
        facts.dossier_id,
        coalesce(facts.received_at, facts.submitted_at) as seen_at,
        facts.loaded_at
        {%- for name, condition in holders %},
        coalesce({{ condition }}, false) as {{ name }}_present
        {%- endfor %}
{%- endset %}
with

{%- if is_incremental() %}

changed as (

    select *
    from {{ ref('int_dossiers_changed') }}
    where change_reason = 'delivery'

),

-- the changed dossiers as they are now: a primary-key lookup each (none when no delivery is visible)
added as (

    select current_version.*
    from changed
    cross join lateral (
        select
            {{ seen_columns }}
        from {{ facts }} as facts
        where facts.dossier_id = changed.dossier_id
        limit 1
    ) as current_version
    where current_version.{{ group_column }} is not null

),

-- each changed dossier's previous and current version side by side
versions as (

    select
        changed.dossier_id,
        changed.{{ previous_group_column }} as previous_group,
        changed.previous_seen_at,
        changed.previous_loaded_at,
        added.{{ group_column }} as current_group,
        added.seen_at as current_seen_at,
        added.loaded_at as current_loaded_at
        {%- for name, condition in holders %},
        coalesce(added.{{ name }}_present, false) as {{ name }}_present
        {%- endfor %}
    from changed
    left join added
        on added.dossier_id = changed.dossier_id

),

removed_summary as (

    select
        previous_group as {{ group_column }},
        count(*) as dossier_count,
        -- a version re-read unchanged (look-back window) or corrected elsewhere keeps its
        -- group and receipt: it cannot move the first or last receipt
        min(previous_seen_at) filter (where moved) as first_seen_at,
        max(previous_seen_at) filter (where moved) as last_seen_at
    from (
        select
            versions.*,
            (current_group is distinct from previous_group
                or current_seen_at is distinct from previous_seen_at) as moved
        from versions
    ) as compared
    where previous_group is not null
    group by 1

),

added_summary as (

    select
        {{ group_column }},
        count(*) as dossier_count,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from added
    group by 1

),

affected as (

    select {{ group_column }} from removed_summary
    union
    select {{ group_column }} from added_summary

),

previous as (

    select this.*
    from {{ this }} as this
    where this.{{ group_column }} in (select {{ group_column }} from affected)

),

recomputed_groups as (

    select previous.{{ group_column }}
    from previous
    left join removed_summary
        on removed_summary.{{ group_column }} = previous.{{ group_column }}
    where removed_summary.first_seen_at <= previous.first_seen_at
       or removed_summary.last_seen_at >= previous.last_seen_at
    {%- for name, condition in holders %}
       -- the holder changed and its current version is not at least as late in the same group
       -- (a holder's previous version was in this group; uncorrelated, so one hashed lookup)
       or previous.{{ name }} in (
           select versions.dossier_id
           from versions
           where not coalesce(
                 versions.current_group = versions.previous_group
                 and versions.{{ name }}_present
                 and (coalesce(versions.current_seen_at, '-infinity'::timestamptz), versions.current_loaded_at)
                     >= (coalesce(versions.previous_seen_at, '-infinity'::timestamptz), versions.previous_loaded_at),
                 false)
       )
    {%- endfor %}
    union
    -- fct_dossiers_base was rebuilt from scratch in this run (int_dossiers_changed is then empty):
    -- every group, as the monthly marts rebuild every month
    select {{ group_column }} from {{ this }}
    where (select is_full_rebuild from {{ ref('int_build_state') }})
    union
    select distinct facts.{{ group_column }}
    from {{ facts }} as facts
    where (select is_full_rebuild from {{ ref('int_build_state') }})
      and facts.{{ group_column }} is not null

),

{%- endif %}

scope as (

    select
        {{ seen_columns }}
    from {{ facts }} as facts
    {%- if is_incremental() %}
    -- one-time filter: no scan at all when no group needs recomputing
    where exists (select 1 from recomputed_groups)
      and facts.{{ group_column }} in (select {{ group_column }} from recomputed_groups)
    {%- else %}
    where facts.{{ group_column }} is not null
    {%- endif %}

),

aggregated as (

    select
        {{ group_column }},
        count(*) as dossier_count,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
        {%- for name, condition in holders %},
        (array_agg(dossier_id order by {{ holder_order }}) filter (where {{ name }}_present))[1] as {{ name }}
        {%- endfor %}
    from scope
    group by {{ group_column }}

){%- if is_incremental() %},

{%- for name, condition in holders %}

{{ name }}_candidates as (

    -- the previous holder as it is now (unchanged, or changed but as late in the same group) ...
    select previous.{{ group_column }}, holder.dossier_id, holder.seen_at, holder.loaded_at
    from previous
    cross join lateral (
        select facts.dossier_id, coalesce(facts.received_at, facts.submitted_at) as seen_at, facts.loaded_at
        from {{ facts }} as facts
        where facts.dossier_id = previous.{{ name }}
          and facts.{{ group_column }} = previous.{{ group_column }}
          and {{ condition }}
        limit 1
    ) as holder
    union all
    -- ... against the current versions of the changed dossiers
    select {{ group_column }}, dossier_id, seen_at, loaded_at
    from added
    where {{ name }}_present

),

{{ name }}_latest as (

    select distinct on ({{ group_column }}) {{ group_column }}, dossier_id
    from {{ name }}_candidates
    order by {{ group_column }}, {{ holder_order }}

),

{%- endfor %}

combined as (

    select
        affected.{{ group_column }},
        coalesce(previous.dossier_count, 0) - coalesce(removed_summary.dossier_count, 0)
            + coalesce(added_summary.dossier_count, 0) as dossier_count,
        least(previous.first_seen_at, added_summary.first_seen_at) as first_seen_at,
        greatest(previous.last_seen_at, added_summary.last_seen_at) as last_seen_at
        {%- for name, condition in holders %},
        {{ name }}_latest.dossier_id as {{ name }}
        {%- endfor %}
    from affected
    left join previous
        on previous.{{ group_column }} = affected.{{ group_column }}
    left join removed_summary
        on removed_summary.{{ group_column }} = affected.{{ group_column }}
    left join added_summary
        on added_summary.{{ group_column }} = affected.{{ group_column }}
    {%- for name, condition in holders %}
    left join {{ name }}_latest
        on {{ name }}_latest.{{ group_column }} = affected.{{ group_column }}
    {%- endfor %}
    where affected.{{ group_column }} not in (select {{ group_column }} from recomputed_groups)

),

result as (

    select * from combined
    union all
    -- recomputed; count 0 (deleted by the post-hook) when no dossier is left
    select
        recomputed_groups.{{ group_column }},
        coalesce(aggregated.dossier_count, 0),
        aggregated.first_seen_at,
        aggregated.last_seen_at
        {%- for name, condition in holders %},
        aggregated.{{ name }}
        {%- endfor %}
    from recomputed_groups
    left join aggregated
        on aggregated.{{ group_column }} = recomputed_groups.{{ group_column }}

)

select * from result

{%- else %}

select * from aggregated

{%- endif %}
{% endmacro %}
