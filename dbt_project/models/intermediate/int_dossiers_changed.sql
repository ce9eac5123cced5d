-- The dossiers an incremental build of fct_dossiers recomputes, read before the merge:
--   'delivery': delivered (or re-delivered) in a load started within the look-back window
--     (var incremental_lookback_days before the latest load already in fct_dossiers), whatever
--     the load's status (a quarantined load changes nothing, recomputing is harmless); or whose
--     procedure got a catalogue delivery in that window (statutory limit); or whose winning load
--     is no longer visible (the dossier falls back to an earlier delivery or disappears);
--   'as_of': open (status 2, 4, 5, 6) when the as-of date moved, judged again at the new date.
-- With the months each previous version contributed to, so the monthly marts rebuild them.
-- Empty when fct_dossiers is built from scratch.
-- depends_on: {{ ref('int_build_state') }}
{{ config(materialized='table') }}
{%- set previous_facts = previous_fct_dossiers() %}

{%- if previous_facts is none %}

select
    null::text as dossier_id,
    null::text as change_reason,
    null::date as previous_span_start_month,
    null::date as previous_span_end_month
where false

{%- else %}

with

state as (

    select * from {{ ref('int_build_state') }}

),

window_loads as (

    select load_id
    from {{ source('audit', 'loads') }}
    where started_at >= coalesce(
        (select previous_loaded_at from state) - make_interval(days => {{ var('incremental_lookback_days') }}),
        '-infinity'::timestamptz
    )

),

visible_loads as (

    {{ visible_loads() }}

),

delivered as (

    select distinct {{ text_or_null('dossier_row.dossier_code') }} as dossier_id
    from {{ source('raw', 'portal_dossiers') }} as dossier_row
    where dossier_row._load_id in (select load_id from window_loads)
      and {{ text_or_null('dossier_row.dossier_code') }} is not null

),

recatalogued as (

    select previous_facts.dossier_id
    from {{ previous_facts }} as previous_facts
    where previous_facts.procedure_code in (
        select {{ text_or_null('catalogue_row.procedure_code') }}
        from {{ source('raw', 'procedure_catalogue') }} as catalogue_row
        where catalogue_row._load_id in (select load_id from window_loads)
    )

),

hidden as (

    select dossier_id
    from {{ previous_facts }}
    where load_id not in (select load_id from visible_loads)

),

redelivered as (

    select dossier_id from delivered
    union
    select dossier_id from recatalogued
    union
    select dossier_id from hidden

),

rejudged as (

    select previous_facts.dossier_id
    from {{ previous_facts }} as previous_facts
    cross join state
    where previous_facts.status_code in (2, 4, 5, 6)
      and previous_facts.as_of_date is distinct from state.as_of_date

),

changed as (

    select dossier_id, 'delivery' as change_reason from redelivered
    union all
    -- not exists, not "not in": a large NOT IN list is searched row by row
    select rejudged.dossier_id, 'as_of' as change_reason
    from rejudged
    where not exists (select 1 from redelivered where redelivered.dossier_id = rejudged.dossier_id)

)

select
    changed.dossier_id::text as dossier_id,
    changed.change_reason::text as change_reason,
    {{ dossier_span_start_month('previous_facts.received_at', 'previous_facts.status_code') }}::date
        as previous_span_start_month,
    {{ dossier_span_end_month('previous_facts.received_at', 'previous_facts.status_code', 'previous_facts.finished_at',
                              'previous_facts.returned_at', 'previous_facts.as_of_date') }}::date
        as previous_span_end_month
from changed
left join {{ previous_facts }} as previous_facts
    on previous_facts.dossier_id = changed.dossier_id

{%- endif %}
