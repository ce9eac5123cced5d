-- Computed next to published: each Decision 766 group fct_service_index computes for a province
-- and month, beside the score the national dashboard published for that province and month
-- (fct_index_scores, index DVC766, monthly periods such as '2025-10', published values only),
-- with the difference. One row per published monthly value of the four computable groups;
-- computed_points is null when the warehouse holds no dossiers of that province and month.
{{ config(materialized='table') }}

with

published as (

    select
        gso_code,
        list_version,
        period,
        to_date(period, 'YYYY-MM') as month_start,
        component,
        value as published_points,
        load_id as published_load_id
    from {{ ref('fct_index_scores') }}
    where index_code = 'DVC766'
      and period_grain = 'month'
      and not is_derived
      and component in ('progress', 'online_service', 'online_payment', 'digitisation')

),

computed as (

    -- one row per province, month and 766 group: the four points columns unpivoted in one scan
    select service_index.gso_code, service_index.list_version, service_index.month_start,
           points.component, points.computed_points
    from {{ ref('fct_service_index') }} as service_index
    cross join lateral (values
        ('progress', service_index.progress_points),
        ('online_service', service_index.online_service_points),
        ('online_payment', service_index.online_payment_points),
        ('digitisation', service_index.digitisation_points)
    ) as points (component, computed_points)
    where service_index.unit_type = 'province'

)

select
    -- ids
    (published.gso_code || '-' || published.list_version || '|' || published.period || '|' || published.component)::text
        as fct_service_index_reconciliation_id,
    published.gso_code::text as gso_code,
    published.list_version::text as list_version,
    (published.gso_code || '-' || published.list_version)::text as province_key,
    published.period::text as period,
    published.month_start::date as month_start,
    published.component::text as component,

    -- values
    computed.computed_points::numeric(8, 4) as computed_points,
    published.published_points::numeric as published_points,
    (computed.computed_points - published.published_points)::numeric as points_difference,
    published.published_load_id::bigint as published_load_id
from published
left join computed
    on computed.gso_code = published.gso_code
   and computed.list_version = published.list_version
   and computed.month_start = published.month_start
   and computed.component = published.component
