-- Computed next to published: each Decision 766 group fct_service_index computes for a province
-- and month, beside the score the national dashboard published for that province and month
-- (fct_index_scores, index DVC766, monthly periods such as '2025-10', published values only),
-- with the difference; and the same per department and commune (fct_agency_index_scores), where
-- the dossiers' processing agency code is the code the dashboard publishes. One row per published
-- monthly value of the four computable groups; computed_points is null when the warehouse holds
-- no dossiers of that province (or agency) and month.
{{ config(materialized='table') }}

with

published as (

    select
        'province' as unit_level,
        gso_code,
        list_version,
        null::text as agency_code,
        period,
        component,
        value as published_points,
        load_id as published_load_id
    from {{ ref('fct_index_scores') }}
    where index_code = 'DVC766'
      and period_grain = 'month'
      and not is_derived
      and component in ('progress', 'online_service', 'online_payment', 'digitisation')

    union all

    select
        unit_level,
        gso_code,
        list_version,
        agency_code,
        period,
        component,
        value as published_points,
        load_id as published_load_id
    from {{ ref('fct_agency_index_scores') }}
    where index_code = 'DVC766'
      and period_grain = 'month'
      and component in ('progress', 'online_service', 'online_payment', 'digitisation')

),

computed as (

    -- one row per province or agency, month and 766 group: the four points columns unpivoted in one scan
    select service_index.unit_type, service_index.gso_code, service_index.list_version, service_index.agency_code,
           service_index.month_start, points.component, points.computed_points
    from {{ ref('fct_service_index') }} as service_index
    cross join lateral (values
        ('progress', service_index.progress_points),
        ('online_service', service_index.online_service_points),
        ('online_payment', service_index.online_payment_points),
        ('digitisation', service_index.digitisation_points)
    ) as points (component, computed_points)

),

placed as (

    select
        published.*,
        to_date(published.period, 'YYYY-MM') as month_start
    from published

)

select
    -- ids
    (case
        when placed.agency_code is null
            then placed.gso_code || '-' || placed.list_version || '|' || placed.period || '|' || placed.component
        else placed.agency_code || '|' || placed.period || '|' || placed.component
    end)::text as fct_service_index_reconciliation_id,
    placed.unit_level::text as unit_level,
    placed.gso_code::text as gso_code,
    placed.list_version::text as list_version,
    (placed.gso_code || '-' || placed.list_version)::text as province_key,
    placed.agency_code::text as agency_code,
    placed.period::text as period,
    placed.month_start::date as month_start,
    placed.component::text as component,

    -- values
    coalesce(province_points.computed_points, agency_points.computed_points)::numeric(8, 4) as computed_points,
    placed.published_points::numeric as published_points,
    (coalesce(province_points.computed_points, agency_points.computed_points) - placed.published_points)::numeric
        as points_difference,
    placed.published_load_id::bigint as published_load_id
from placed
left join computed as province_points
    on placed.agency_code is null
   and province_points.unit_type = 'province'
   and province_points.gso_code = placed.gso_code
   and province_points.list_version = placed.list_version
   and province_points.month_start = placed.month_start
   and province_points.component = placed.component
left join computed as agency_points
    on agency_points.unit_type = 'agency'
   and agency_points.agency_code = placed.agency_code
   and agency_points.month_start = placed.month_start
   and agency_points.component = placed.component
