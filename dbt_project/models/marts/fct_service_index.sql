-- The Decision 766 indicators that dossiers allow computing (DOMAIN.md §2), per month for each
-- province on the 63-province universe (list 2004: dossiers received before 2025-07-01, by the
-- code delivered), each province on the 34-province universe (list 2025: every dossier, by
-- gso_code_2025, so all history re-aggregates onto the new provinces) and each agency:
--   progress (20 points) = 20 × (finished early or on time + in progress within time at the
--     period end) / (finished + open at the period end, judged);
--   online service (12): online dossier share = online (channel 2) / received, full marks at
--     var service_index_online_dossier_full_marks_rate (50 %);
--   online payment (10): paid online / received with a fee, full marks at
--     var service_index_online_payment_full_marks_rate;
--   digitisation (the computable part of 22): the mean of the digitised share of received
--     dossiers and the electronic-result share of finished ones, each saturating at its var.
-- Transparency and satisfaction need data dossiers do not carry. Rates are null without a
-- denominator, and so are the points built on them.
--
-- Incremental: deletes and rebuilds only the months in int_months_to_rebuild.
-- depends_on: {{ ref('int_months_to_rebuild') }}
-- depends_on: {{ ref('fct_dossiers_base') }}
-- depends_on: {{ ref('int_build_state') }}
-- depends_on: {{ ref('fct_dossiers') }}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{% if is_incremental() %}delete from {{ this }}
              where month_start in (select month_start from {{ ref('int_months_to_rebuild') }}){% endif %}",
) }}

with

dossier_months as (

    {{ dossier_months(
        dossier_months_facts(),
        ref('dim_date'),
        ref('int_months_to_rebuild') if is_incremental() else none,
    ) }}

),

units as (

    -- each dossier-month once per unit it counts for
    select
        'province' as unit_type,
        '2004' as unit_list_version,
        gso_code as unit_gso_code,
        null::text as unit_agency_code,
        dossier_months.*
    from dossier_months
    where list_version = '2004' and gso_code is not null

    union all

    select
        'province' as unit_type,
        '2025' as unit_list_version,
        gso_code_2025 as unit_gso_code,
        null::text as unit_agency_code,
        dossier_months.*
    from dossier_months
    where gso_code_2025 is not null

    union all

    select
        'agency' as unit_type,
        null::text as unit_list_version,
        null::text as unit_gso_code,
        agency_code as unit_agency_code,
        dossier_months.*
    from dossier_months
    where agency_code is not null

),

counted as (

    select
        unit_type,
        unit_list_version as list_version,
        unit_gso_code as gso_code,
        unit_agency_code as agency_code,
        month_start,
        count(*) filter (where is_received_in_month) as received_count,
        count(*) filter (where is_received_in_month and channel = 2) as received_online_count,
        count(*) filter (where is_received_in_month and fee_amount > 0) as received_with_fee_count,
        count(*) filter (where is_received_in_month and fee_amount > 0 and is_paid_online) as paid_online_count,
        count(*) filter (where is_received_in_month and has_digitised_components) as digitised_count,
        count(*) filter (where is_finished_in_month) as finished_count,
        count(*) filter (where is_finished_in_month and has_electronic_result) as electronic_result_count,
        count(*) filter (where is_finished_in_month and outcome in ('early', 'on_time', 'late'))
            + count(*) filter (where period_end_status in ('in_progress', 'overdue')) as handled_count,
        count(*) filter (where is_finished_in_month and outcome in ('early', 'on_time'))
            + count(*) filter (where period_end_status = 'in_progress') as handled_in_time_count
    from units
    group by unit_type, unit_list_version, unit_gso_code, unit_agency_code, month_start

),

rated as (

    select
        counted.*,
        handled_in_time_count::numeric / nullif(handled_count, 0) as progress_rate,
        received_online_count::numeric / nullif(received_count, 0) as online_dossier_share,
        paid_online_count::numeric / nullif(received_with_fee_count, 0) as online_payment_share,
        digitised_count::numeric / nullif(received_count, 0) as digitised_share,
        electronic_result_count::numeric / nullif(finished_count, 0) as electronic_result_share
    from counted

)

select
    -- ids
    (unit_type || '|' || coalesce(list_version, '-') || '|' || coalesce(gso_code, agency_code)
        || '|' || to_char(month_start, 'YYYY-MM'))::text as fct_service_index_id,
    unit_type::text as unit_type,
    list_version::text as list_version,
    gso_code::text as gso_code,
    (case when unit_type = 'province' then gso_code || '-' || list_version end)::text as province_key,
    agency_code::text as agency_code,
    month_start::date as month_start,

    -- counts
    received_count::integer as received_count,
    received_online_count::integer as received_online_count,
    received_with_fee_count::integer as received_with_fee_count,
    paid_online_count::integer as paid_online_count,
    digitised_count::integer as digitised_count,
    finished_count::integer as finished_count,
    electronic_result_count::integer as electronic_result_count,
    handled_count::integer as handled_count,
    handled_in_time_count::integer as handled_in_time_count,

    -- rates
    progress_rate::numeric(7, 6) as progress_rate,
    online_dossier_share::numeric(7, 6) as online_dossier_share,
    online_payment_share::numeric(7, 6) as online_payment_share,
    digitised_share::numeric(7, 6) as digitised_share,
    electronic_result_share::numeric(7, 6) as electronic_result_share,

    -- Decision 766 points
    (20 * progress_rate)::numeric(8, 4) as progress_points,
    {{ scaled_points(12, 'online_dossier_share', 'service_index_online_dossier_full_marks_rate') }}::numeric(8, 4)
        as online_service_points,
    {{ scaled_points(10, 'online_payment_share', 'service_index_online_payment_full_marks_rate') }}::numeric(8, 4)
        as online_payment_points,
    (case
        when digitised_share is not null and electronic_result_share is not null then
            22 * (least(digitised_share / {{ var('service_index_digitisation_full_marks_rate') }}::numeric, 1)
                + least(electronic_result_share / {{ var('service_index_electronic_result_full_marks_rate') }}::numeric, 1))
                / 2
    end)::numeric(8, 4) as digitisation_points
from rated
