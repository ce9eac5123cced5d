-- One row: what this build knows about the previous one, read from marts.fct_dossiers before
-- this run merges into it. Drives the incremental marts: is_full_rebuild when fct_dossiers is
-- built from scratch (first build or --full-refresh); previous_as_of_date to re-judge open
-- dossiers and rebuild the months between two as-of dates; previous_loaded_at to start the
-- look-back window of new deliveries.
{{ config(materialized='table') }}
{%- set previous_facts = previous_fct_dossiers() %}

select
    {{ as_of_date_expression() }}::date as as_of_date,
{%- if previous_facts is not none %}
    (select max(as_of_date) from {{ previous_facts }})::date as previous_as_of_date,
    (select max(loaded_at) from {{ previous_facts }})::timestamptz as previous_loaded_at,
    false as is_full_rebuild
{%- else %}
    null::date as previous_as_of_date,
    null::timestamptz as previous_loaded_at,
    true as is_full_rebuild
{%- endif %}
