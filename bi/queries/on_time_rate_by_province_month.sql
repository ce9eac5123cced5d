-- On-time rate by province and month, continuous across the 2025 merger.
--
-- Rate "giải quyết trước và đúng hạn" = (early + on time) / finished (DOMAIN.md §1), by the
-- month the dossier was finished, in Vietnam time. Every dossier counts in the province its
-- territory belongs to on the 34-province list (gso_code_2025: dossier facts are additive), so a
-- merged province's series runs through 2025-07-01 without a break. For the 63-province view
-- before the merger, group by gso_code / province_key instead and keep list_version = '2004'.
with

monthly as (

    select
        dossiers.province_key_2025,
        date_trunc('month', dossiers.finished_at at time zone 'Asia/Ho_Chi_Minh') as finished_month,
        count(*) as finished_dossiers,
        count(*) filter (where dossiers.outcome in ('early', 'on_time')) as finished_early_or_on_time
    from marts.fct_dossiers as dossiers
    where dossiers.outcome in ('early', 'on_time', 'late')
    group by 1, 2

)

select
    provinces.gso_code as gso_code_2025,
    provinces.province_name,
    monthly.finished_month::date as finished_month,
    monthly.finished_dossiers,
    monthly.finished_early_or_on_time,
    round(100.0 * monthly.finished_early_or_on_time / monthly.finished_dossiers, 1) as on_time_rate_percent
from monthly
inner join marts.dim_province as provinces
    on provinces.province_key = monthly.province_key_2025
order by provinces.gso_code, monthly.finished_month
