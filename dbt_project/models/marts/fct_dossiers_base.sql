-- The stored rows of fct_dossiers, one per dossier, without the as-of date: BI reads the view
-- fct_dossiers, which adds it. Every other column of an open dossier (status 2, 4, 5, 6) depends
-- on the as-of date, so open dossiers are recomputed whenever it moves; a closed dossier's row
-- does not, so a new as-of date rewrites only the open ones, not the whole table.
-- The clock and outcome rules live in int_dossiers_clocked; this model adds the province
-- list the GSO code was delivered against, its code on the 2025 list and the keys of both
-- in dim_province, and keeps the names delivered for dim_agency and dim_procedure.
--
-- Incremental (merge on dossier_id): a run recomputes only the dossiers in int_dossiers_changed
-- (new or corrected deliveries within the look-back window, procedures re-catalogued, deliveries
-- no longer visible, and open dossiers when the as-of date moved), looking their deliveries up by
-- code (macro clock_dossiers). A post-hook then drops the dossiers whose every delivery became
-- invisible, so an incremental run leaves exactly what a full refresh
-- (`parwh build --full-refresh`) builds. The other post-hooks index the lookups of the next
-- incremental run (load_id: deliveries hidden since; the open dossiers) and what the BI queries
-- in bi/queries/ read through fct_dossiers (macros/bi_index.sql).
-- depends_on: {{ ref('int_dossiers_changed') }}
-- depends_on: {{ ref('int_build_state') }}
-- depends_on: {{ ref('stg_portal__dossiers') }}
-- depends_on: {{ ref('stg_portal__dossier_events') }}
-- depends_on: {{ ref('stg_portal__procedure_catalogue') }}
-- depends_on: {{ ref('dim_date') }}
-- depends_on: {{ source('raw', 'portal_dossiers') }}
-- depends_on: {{ source('raw', 'portal_dossier_events') }}
-- depends_on: {{ source('audit', 'loads') }}
{{ config(
    materialized='incremental',
    unique_key='dossier_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    post_hook=[
        "delete from {{ this }} where load_id in (
             select load_id from {{ source('audit', 'loads') }}
             except
             select load_id from ({{ visible_loads() }}) as visible
         )",
        "{{ table_index('fct_dossiers_base_load', '(load_id)') }}",
        "{{ table_index('fct_dossiers_base_open', '(dossier_id) where status_code in (2, 4, 5, 6)') }}",
        "{{ bi_index('fct_dossiers_finished_month_by_province') }}",
        "{{ bi_index('fct_dossiers_finished_working_days_by_procedure') }}",
        "{{ bi_index('fct_dossiers_overdue_by_agency') }}",
    ],
) }}

with

clocked as (

    {%- if is_incremental() %}
    -- the rules of int_dossiers_clocked, applied to the changed dossiers only
    {{ clock_dossiers('select dossier_id from ' ~ ref('int_dossiers_changed')) }}
    {%- else %}
    select * from {{ ref('int_dossiers_clocked') }}
    {%- endif %}

),

crosswalk as (

    select
        old_code,
        new_code
    from {{ ref('province_crosswalk_2025') }}

),

versioned as (

    select
        clocked.*,
        -- The 34-province list is in force from 2025-07-01 00:00 Vietnam time. A dossier not
        -- yet received is read against the list in force at submission.
        {{ province_list_version('coalesce(clocked.received_at, clocked.submitted_at)') }} as list_version
    from clocked

)

select
    -- ids
    versioned.dossier_id::text as dossier_id,
    versioned.gso_code::text as gso_code,
    versioned.list_version::text as list_version,
    (case
        when versioned.list_version = '2004' then crosswalk.new_code
        else versioned.gso_code
    end)::text as gso_code_2025,
    -- Join keys to dim_province (province_key = gso_code || '-' || list_version).
    (versioned.gso_code || '-' || versioned.list_version)::text as province_key,
    (case
        when versioned.list_version = '2004' then crosswalk.new_code
        else versioned.gso_code
    end || '-2025')::text as province_key_2025,
    versioned.procedure_code::text as procedure_code,
    versioned.agency_code::text as agency_code,
    versioned.load_id::bigint as load_id,
    versioned.load_started_at::timestamptz as loaded_at,

    -- milestones
    versioned.submitted_at::timestamptz as submitted_at,
    versioned.received_at::timestamptz as received_at,
    versioned.due_at::timestamptz as due_at,
    versioned.finished_at::timestamptz as finished_at,
    versioned.returned_at::timestamptz as returned_at,
    versioned.refused_at::timestamptz as refused_at,

    -- working-day clock
    versioned.clock_start_date::date as clock_start_date,
    versioned.working_days_used::integer as working_days_used,
    versioned.paused_working_days::integer as paused_working_days,
    versioned.supplement_count::integer as supplement_count,
    versioned.statutory_limit_working_days::numeric(8, 2) as statutory_limit_working_days,
    versioned.outcome::text as outcome,
    versioned.is_finished::boolean as is_finished,
    (versioned.is_open and versioned.outcome = 'overdue')::boolean as is_overdue_at_as_of,

    -- attributes
    versioned.status_code::integer as status_code,
    versioned.channel::integer as channel,
    versioned.online_level::text as online_level,
    versioned.is_paid_online::boolean as is_paid_online,
    versioned.fee_amount::numeric(18, 2) as fee_amount,
    versioned.has_digitised_components::boolean as has_digitised_components,
    versioned.has_electronic_result::boolean as has_electronic_result,

    -- names as delivered (dim_agency, dim_procedure)
    versioned.agency_name::text as agency_name,
    versioned.procedure_name::text as procedure_name,
    versioned.field_name::text as field_name,

    -- last month the dossier counts in the monthly marts (macro dossier_months_facts)
    {{ dossier_span_end_month('versioned.received_at', 'versioned.status_code', 'versioned.finished_at',
                              'versioned.returned_at', 'versioned.as_of_date') }}::date as last_month
from versioned
left join crosswalk
    on crosswalk.old_code = versioned.gso_code
