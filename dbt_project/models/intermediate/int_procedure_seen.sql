-- Per procedure code of fct_dossiers_base: dossier count and the dossiers carrying its latest
-- procedure name, field name and online level (macro dossiers_seen_by), which dim_procedure reads.
-- Incremental, so the nightly dim_procedure does not aggregate every dossier again.
-- depends_on: {{ ref('int_dossiers_changed') }}
-- depends_on: {{ ref('int_build_state') }}
{{ config(
    materialized='incremental',
    unique_key='procedure_code',
    incremental_strategy='merge',
    post_hook="delete from {{ this }} where dossier_count = 0",
) }}
{{ dossiers_seen_by('procedure_code', 'previous_procedure_code', [
    ['procedure_name_dossier_id', 'facts.procedure_name is not null'],
    ['field_name_dossier_id', 'facts.field_name is not null'],
    ['online_level_dossier_id', 'facts.online_level is not null'],
]) }}
