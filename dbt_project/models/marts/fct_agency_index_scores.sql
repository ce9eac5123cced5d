-- Published index values of units below the province: the 766 dashboard's provincial departments
-- and communes, each in the province it belongs to (on the list in force at the end of the
-- period). As published, never derived onto another list: a department or commune is not a
-- province and has no constituents. Ranked among the units of the same level and province.
with

published as (

    select * from {{ ref('stg_index__agency_scores') }}

),

methodologies as (

    select * from {{ ref('index_methodologies') }}

),

placed as (

    select
        published.*,
        {{ index_period_grain('published.period') }} as period_grain,
        {{ index_ranking_value('published.value', 'methodologies.higher_is_better') }} as ranking_value
    from published
    left join methodologies
        on methodologies.index_code = published.index_code
        and methodologies.methodology_version = published.methodology_version

),

ranked as (

    select
        placed.*,
        -- competition ranking ("1, 2, 2, 4"), as publishers print ties
        rank() over (
            partition by index_code, period, component, unit_level, province_key
            order by ranking_value desc nulls last
        ) as competition_rank
    from placed

)

select
    -- ids
    (index_code || '|' || period || '|' || agency_code || '|' || component)::text as fct_agency_index_scores_id,
    index_code::text as index_code,
    component::text as component,
    edition_year::integer as edition_year,
    period::text as period,
    period_grain::text as period_grain,
    unit_level::text as unit_level,
    agency_code::text as agency_code,
    agency_name::text as agency_name,
    gso_code::text as gso_code,
    list_version::text as list_version,
    province_key::text as province_key,

    -- values
    value::numeric as value,
    rank_published::integer as rank_published,
    (case when value is not null then competition_rank end)::integer as rank_recomputed,
    methodology_version::text as methodology_version,
    scale_min::numeric as scale_min,
    scale_max::numeric as scale_max,
    (case
        when scale_max > scale_min then trim_scale(100 * (value - scale_min) / (scale_max - scale_min))
    end)::numeric as value_normalised,

    -- lineage
    load_id::bigint as load_id,
    source_file::text as source_file,
    source_sheet::text as source_sheet
from ranked
