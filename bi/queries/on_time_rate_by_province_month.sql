-- On-time rate by province and month, continuous across the 2025 merger.
--
-- The metric is defined once, in the mart fct_on_time_rate (see its description in dbt docs):
-- (early + on time) / finished, by the month the dossier was finished, in Vietnam time. On list
-- '2025' every dossier counts in the province its territory belongs to on the 34-province list,
-- so a merged province's series runs through 2025-07-01 without a break. For the 63-province
-- view before the merger, read list_version = '2004' instead.
select
    rates.gso_code as gso_code_2025,
    rates.province_name,
    rates.finished_month,
    rates.finished_dossiers,
    rates.finished_early_or_on_time,
    rates.on_time_rate_percent
from marts.fct_on_time_rate as rates
where rates.list_version = '2025'
order by rates.gso_code, rates.finished_month
