-- The six published indices (DOMAIN.md §2). Publisher, unit and scale are those of the
-- current (latest) methodology; every methodology's scale is listed in scale_history.
with

catalogue as (

    select * from {{ ref('index_catalogue') }}

),

methodologies as (

    select * from {{ ref('index_methodologies') }}

),

latest_methodology as (

    select
        *,
        row_number() over (partition by index_code order by edition_from desc) as recency
    from methodologies

),

scale_history as (

    select
        index_code,
        count(*) as methodology_count,
        string_agg(
            format(
                '%s: %s–%s (%s–%s)',
                methodology_version, total_scale_min, total_scale_max, edition_from,
                coalesce(edition_to::text, '')
            ),
            '; ' order by edition_from
        ) as scale_history
    from methodologies
    group by index_code

)

select
    -- ids
    catalogue.index_code::text as index_code,

    -- names
    catalogue.name_en::text as index_name,
    catalogue.name_vi::text as index_name_vi,
    latest_methodology.publisher::text as publisher,

    -- publication
    catalogue.cadence::text as cadence,
    catalogue.publication_form::text as publication_form,
    latest_methodology.unit::text as unit,

    -- scale of the current methodology
    latest_methodology.methodology_version::text as current_methodology_version,
    latest_methodology.total_scale_min::numeric as scale_min,
    latest_methodology.total_scale_max::numeric as scale_max,
    latest_methodology.higher_is_better::boolean as is_higher_better,
    scale_history.methodology_count::integer as methodology_count,
    scale_history.scale_history::text as scale_history
from catalogue
inner join latest_methodology
    on latest_methodology.index_code = catalogue.index_code
    and latest_methodology.recency = 1
inner join scale_history
    on scale_history.index_code = catalogue.index_code
