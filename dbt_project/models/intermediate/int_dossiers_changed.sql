-- The dossiers an incremental build of fct_dossiers recomputes, read before the merge:
--   'delivery': delivered (or re-delivered) in a load started within the look-back window
--     (var incremental_lookback_days before the latest load already in fct_dossiers_base), whatever
--     the load's status (a quarantined load changes nothing, recomputing is harmless); or whose
--     procedure got a catalogue delivery in that window (statutory limit); or whose winning load
--     is no longer visible (the dossier falls back to an earlier delivery or disappears);
--   'as_of': open (status 2, 4, 5, 6) when the as-of date moved, judged again at the new date.
-- With the months each previous version contributed to, so the monthly marts rebuild them.
-- Empty when fct_dossiers_base is built from scratch. Every part is an index lookup driven by a
-- small set (window loads, re-catalogued procedures, invisible loads, open dossiers), not a
-- scan of fct_dossiers_base; the parts that usually find nothing are skipped by a one-time
-- filter (an uncorrelated EXISTS) when their driving set is empty.
-- depends_on: {{ ref('int_build_state') }}
{{ config(materialized='table') }}
{%- set previous_facts = previous_fct_dossiers() %}

{%- if previous_facts is none %}

select
    null::text as dossier_id,
    null::text as change_reason,
    null::date as previous_span_start_month,
    null::date as previous_span_end_month,
    null::text as previous_agency_code,
    null::text as previous_procedure_code,
    null::timestamptz as previous_seen_at,
    null::timestamptz as previous_loaded_at
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
        (select state.previous_loaded_at from state) - make_interval(days => {{ var('incremental_lookback_days') }}),
        '-infinity'::timestamptz
    )

),

visible_loads as (

    {{ visible_loads() }}

),

delivered as (

    select distinct {{ text_or_null('dossier_row.dossier_code') }} as dossier_id
    from {{ source('raw', 'portal_dossiers') }} as dossier_row
    -- = any(array): an index scan of the few window loads (primary key), not a hash join
    -- over every delivery ever loaded
    where dossier_row._load_id = any(array(select window_loads.load_id from window_loads))
      and {{ text_or_null('dossier_row.dossier_code') }} is not null

),

window_catalogue as (

    select {{ text_or_null('catalogue_row.procedure_code') }} as procedure_code
    from {{ source('raw', 'procedure_catalogue') }} as catalogue_row
    where catalogue_row._load_id in (select window_loads.load_id from window_loads)

),

recatalogued as (

    select previous_facts.dossier_id
    from {{ previous_facts }} as previous_facts
    where exists (select 1 from window_catalogue)
      and previous_facts.procedure_code in (select window_catalogue.procedure_code from window_catalogue)

),

-- loads that are not visible (now): a fact whose winning delivery is in one falls back to an
-- earlier delivery or disappears (index fct_dossiers_base_load)
invisible_loads as (

    select load_id from {{ source('audit', 'loads') }}
    except
    select load_id from visible_loads

),

hidden as (

    select previous_facts.dossier_id
    from {{ previous_facts }} as previous_facts
    where previous_facts.load_id = any(array(select invisible_loads.load_id from invisible_loads))

),

redelivered as (

    select dossier_id from delivered
    union
    select dossier_id from recatalogued
    union
    select dossier_id from hidden

),

rejudged as (

    -- index fct_dossiers_base_open
    select previous_facts.dossier_id
    from {{ previous_facts }} as previous_facts
    where exists (select 1 from state where state.previous_as_of_date is distinct from state.as_of_date)
      and previous_facts.status_code in (2, 4, 5, 6)

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
                              'previous_facts.returned_at', '(select previous_as_of_date from state)') }}::date
        as previous_span_end_month,
    -- what the previous version counted for in dim_agency and dim_procedure (int_dossiers_seen_by)
    previous_facts.agency_code::text as previous_agency_code,
    previous_facts.procedure_code::text as previous_procedure_code,
    coalesce(previous_facts.received_at, previous_facts.submitted_at)::timestamptz as previous_seen_at,
    previous_facts.loaded_at::timestamptz as previous_loaded_at
from changed
-- lateral with limit (not flattened into a join): a primary-key lookup per changed dossier,
-- not a hash of every fact
left join lateral (
    select
        facts.received_at, facts.submitted_at, facts.status_code, facts.finished_at, facts.returned_at,
        facts.agency_code, facts.procedure_code, facts.loaded_at
    from {{ previous_facts }} as facts
    where facts.dossier_id = changed.dossier_id
    -- dossier_id is the key: at most one row, so no order is needed
    limit 1  -- noqa: AM09
) as previous_facts on true

{%- endif %}
