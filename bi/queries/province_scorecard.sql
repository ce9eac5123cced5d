-- A province's scorecard: PAR INDEX, SIPAS, PAPI and PCI as published (or derived onto the
-- 34-province list, flagged), the 766 index as published, and the 766-style indicators the
-- warehouse computes from the province's own dossiers, one row per year.
--
-- Change the province in `chosen` (province_key = GSO code '-' list version: '79-2025' is
-- Hồ Chí Minh City on the 34-province list, '79-2004' the city before the 2025 merger).
-- Values on the other list than an index was published on are derived (mean of constituent
-- provinces) and never ranked: read the *_is_derived columns before comparing.
with

chosen as (

    select '79-2025'::text as province_key

),

published as (

    select scorecard.*
    from marts.province_scorecard as scorecard
    inner join chosen
        on chosen.province_key = scorecard.province_key

),

-- The 766 groups the warehouse computes from dossiers (marts.fct_service_index, one row per
-- province and month; the province_key names the list): progress (max 20), online service (12),
-- online payment (10) and digitisation (22). Transparency and satisfaction need data dossiers do
-- not carry, so the computed total is out of 64 points. Yearly values are the mean of the months.
computed_766 as (

    select
        extract(year from service_index.month_start)::integer as edition_year,
        max(service_index.month_start) as computed_766_last_month,
        round(avg(
            service_index.progress_points + service_index.online_service_points
            + service_index.online_payment_points + service_index.digitisation_points
        ), 2) as computed_766_points_of_64,
        round(avg(service_index.progress_points), 2) as computed_766_progress,
        round(avg(service_index.online_service_points), 2) as computed_766_online_service,
        round(avg(service_index.online_payment_points), 2) as computed_766_online_payment,
        round(avg(service_index.digitisation_points), 2) as computed_766_digitisation
    from marts.fct_service_index as service_index
    inner join chosen
        on chosen.province_key = service_index.province_key
    group by 1

),

years as (

    select edition_year from published
    union
    select edition_year from computed_766

)

select
    chosen.province_key,
    provinces.province_name,
    years.edition_year,
    round(published.par_index_total, 2) as par_index_total,
    published.par_index_is_derived,
    round(published.sipas_total, 2) as sipas_total,
    published.sipas_is_derived,
    round(published.papi_total, 2) as papi_total,
    published.papi_is_derived,
    round(published.pci_total, 2) as pci_total,
    published.pci_is_derived,
    round(published.dvc766_total, 2) as published_766_total,
    published.dvc766_period as published_766_period,
    computed_766.computed_766_points_of_64,
    computed_766.computed_766_last_month,
    computed_766.computed_766_progress,
    computed_766.computed_766_online_service,
    computed_766.computed_766_online_payment,
    computed_766.computed_766_digitisation
from years
cross join chosen
inner join marts.dim_province as provinces
    on provinces.province_key = chosen.province_key
left join published
    on published.edition_year = years.edition_year
left join computed_766
    on computed_766.edition_year = years.edition_year
order by years.edition_year
