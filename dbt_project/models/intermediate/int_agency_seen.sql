-- Per agency code of fct_dossiers_base: dossier count, first and last receipt, and the dossiers
-- carrying its latest name and latest province (macro dossiers_seen_by), which dim_agency reads.
-- Incremental, so the nightly dim_agency does not aggregate every dossier again.
-- depends_on: {{ ref('int_dossiers_changed') }}
-- depends_on: {{ ref('int_build_state') }}
{{ config(
    materialized='incremental',
    unique_key='agency_code',
    incremental_strategy='merge',
    post_hook="delete from {{ this }} where dossier_count = 0",
) }}
{{ dossiers_seen_by('agency_code', 'previous_agency_code', [
    ['name_dossier_id', 'facts.agency_name is not null'],
    ['province_dossier_id', 'facts.gso_code is not null'],
]) }}
