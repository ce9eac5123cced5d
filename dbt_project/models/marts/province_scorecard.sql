-- One row per province (on either list) and edition year with each index's composite side by
-- side. Yearly editions are taken as they are; the 766 index has no yearly edition, so its
-- latest period of the year is taken, preferring year to date over quarter over month.
with

scores as (

    select * from {{ ref('fct_index_scores') }}
    where component = 'total'

),

provinces as (

    select * from {{ ref('dim_province') }}

),

yearly as (

    select
        scores.*,
        row_number() over (
            partition by index_code, province_key, edition_year
            order by
                case period_grain
                    when 'year' then 1
                    when 'year_to_date' then 2
                    when 'quarter' then 3
                    when 'month' then 4
                    else 5
                end,
                period desc
        ) as period_preference
    from scores

),

chosen as (

    select * from yearly where period_preference = 1

),

pivoted as (

    select
        province_key,
        edition_year,
        {% for index_code in ['PCI', 'PAPI', 'PAR_INDEX', 'SIPAS', 'ICT_INDEX', 'DVC766'] %}
        max(value) filter (where index_code = '{{ index_code }}') as {{ index_code | lower }}_total,
        bool_or(is_derived) filter (where index_code = '{{ index_code }}') as {{ index_code | lower }}_is_derived,
        {% endfor %}
        max(period) filter (where index_code = 'DVC766') as dvc766_period
    from chosen
    group by province_key, edition_year

)

select
    -- ids
    (pivoted.province_key || '|' || pivoted.edition_year)::text as province_scorecard_id,
    pivoted.province_key::text as province_key,
    provinces.gso_code::text as gso_code,
    provinces.list_version::text as list_version,
    provinces.province_name::text as province_name,
    pivoted.edition_year::integer as edition_year,

    -- composites side by side
    {% for index_code in ['PCI', 'PAPI', 'PAR_INDEX', 'SIPAS', 'ICT_INDEX', 'DVC766'] %}
    pivoted.{{ index_code | lower }}_total::numeric as {{ index_code | lower }}_total,
    pivoted.{{ index_code | lower }}_is_derived::boolean as {{ index_code | lower }}_is_derived,
    {% endfor %}
    pivoted.dvc766_period::text as dvc766_period,

    -- flags
    coalesce(
        pivoted.pci_is_derived or pivoted.papi_is_derived or pivoted.par_index_is_derived
        or pivoted.sipas_is_derived or pivoted.ict_index_is_derived or pivoted.dvc766_is_derived,
        false
    )::boolean as has_derived_values
from pivoted
inner join provinces
    on provinces.province_key = pivoted.province_key
