-- One row per dossier: milestones, working-day durations and outcome at the as-of date
-- (warehouse contract). A view of fct_dossiers_base, the incremental table that stores the rows,
-- adding the as-of date they were judged at as a constant: a date stored on every row would be
-- rewritten in every row each night, while only open dossiers change with it.
-- Keys, not-null and check constraints are enforced on fct_dossiers_base (a view has none);
-- the BI indexes are there too and serve the queries through this view.
{{ config(materialized='view') }}

select
    -- ids
    dossier_id,
    gso_code,
    list_version,
    gso_code_2025,
    province_key,
    province_key_2025,
    procedure_code,
    agency_code,
    load_id,
    loaded_at,

    -- milestones
    submitted_at,
    received_at,
    due_at,
    finished_at,
    returned_at,
    refused_at,

    -- working-day clock
    clock_start_date,
    {{ built_as_of_date() }} as as_of_date,
    working_days_used,
    paused_working_days,
    supplement_count,
    statutory_limit_working_days,
    outcome,
    is_finished,
    is_overdue_at_as_of,

    -- attributes
    status_code,
    channel,
    online_level,
    is_paid_online,
    fee_amount,
    has_digitised_components,
    has_electronic_result
from {{ ref('fct_dossiers_base') }}
