-- The on-time rate "giải quyết trước và đúng hạn" = (early + on time) / finished, by province and
-- the month a dossier was finished (Vietnam time), on each province list: the one definition the
-- scorecard and bi/queries read.
-- List '2025': every dossier counts in the province its territory belongs to on the 34-province
-- list (dossier facts are additive), so a merged province's series runs through 2025-07-01.
-- List '2004': only dossiers received before the merger, in their old province.
-- A view: it adds nothing to the nightly build, and reads fct_dossiers as BI would.
{{ config(materialized='view') }}

with

finished as (

    select
        dossiers.province_key,
        dossiers.province_key_2025,
        dossiers.list_version,
        date_trunc('month', dossiers.finished_at at time zone 'Asia/Ho_Chi_Minh')::date as finished_month,
        dossiers.outcome in ('early', 'on_time') as is_early_or_on_time
    from {{ ref('fct_dossiers') }} as dossiers
    where dossiers.outcome in ('early', 'on_time', 'late')

),

by_list as (

    select
        '2025' as list_version,
        finished.province_key_2025 as province_key,
        finished.finished_month,
        finished.is_early_or_on_time
    from finished

    union all

    select
        '2004' as list_version,
        finished.province_key,
        finished.finished_month,
        finished.is_early_or_on_time
    from finished
    where finished.list_version = '2004'

),

monthly as (

    select
        by_list.list_version,
        by_list.province_key,
        by_list.finished_month,
        count(*) as finished_dossiers,
        count(*) filter (where by_list.is_early_or_on_time) as finished_early_or_on_time
    from by_list
    group by 1, 2, 3

)

select
    -- ids
    (monthly.province_key || '-' || to_char(monthly.finished_month, 'YYYY-MM'))::text as on_time_rate_id,
    monthly.province_key::text as province_key,
    provinces.gso_code::text as gso_code,
    monthly.list_version::text as list_version,
    provinces.province_name::text as province_name,
    -- dates
    monthly.finished_month::date as finished_month,
    -- measures
    monthly.finished_dossiers::bigint as finished_dossiers,
    monthly.finished_early_or_on_time::bigint as finished_early_or_on_time,
    round(100.0 * monthly.finished_early_or_on_time / monthly.finished_dossiers, 1)::numeric as on_time_rate_percent
from monthly
inner join {{ ref('dim_province') }} as provinces
    on provinces.province_key = monthly.province_key
