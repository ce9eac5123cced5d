-- One row: what this build knows about the previous one, read from marts.fct_dossiers_base (and
-- the as-of date of the view marts.fct_dossiers) before this run merges into it. Drives the
-- incremental marts: is_full_rebuild when fct_dossiers_base is built from scratch (first build or
-- --full-refresh); previous_as_of_date to re-judge open dossiers and rebuild the months between
-- two as-of dates; previous_loaded_at to start the look-back window of new deliveries.
{{ config(materialized='table') }}
{%- set previous_facts = previous_fct_dossiers() %}
{%- set previous_view = previous_fct_dossiers_view() %}

select
    {{ as_of_date_expression() }}::date as as_of_date,
{%- if previous_facts is not none %}
    {%- if previous_view is not none %}
    -- the same date on every row: one row is enough
    (select as_of_date from {{ previous_view }} limit 1)::date as previous_as_of_date,  -- noqa: AM09
    {%- else %}
    null::date as previous_as_of_date,
    {%- endif %}
    -- max(loaded_at) of the facts, one index probe per load rather than a scan of every row
    (select max(loads.started_at)
     from {{ source('audit', 'loads') }} as loads
     where exists (select 1 from {{ previous_facts }} as facts where facts.load_id = loads.load_id)
    )::timestamptz as previous_loaded_at,
    false as is_full_rebuild
{%- else %}
    null::date as previous_as_of_date,
    null::timestamptz as previous_loaded_at,
    true as is_full_rebuild
{%- endif %}
