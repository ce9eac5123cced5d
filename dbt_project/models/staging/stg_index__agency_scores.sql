-- One row per published value of a unit below the province (the 766 dashboard's departments and
-- communes): index × period × agency code × component, from the latest visible delivery of that
-- key. A quarantined publication never reaches here.
with

visible_loads as (

    {{ visible_loads() }}

),

deliveries as (

    select
        score_row.*,
        row_number() over (
            partition by
                score_row.index_code,
                score_row.period,
                score_row.agency_code,
                score_row.component
            order by visible_loads.started_at desc, visible_loads.load_id desc, score_row._row_number desc
        ) as delivery_rank
    from {{ source('raw', 'agency_index_scores') }} as score_row
    inner join visible_loads
        on visible_loads.load_id = score_row._load_id

),

renamed as (

    select
        -- ids
        (trim(index_code) || '|' || trim(period) || '|' || trim(agency_code) || '|' || trim(component))::text
            as agency_index_score_id,
        _load_id as load_id,
        trim(index_code) as index_code,
        trim(component) as component,
        trim(unit_level) as unit_level,
        trim(agency_code) as agency_code,
        {{ text_or_null('agency_name') }} as agency_name,
        trim(gso_code) as gso_code,
        trim(list_version) as list_version,
        (trim(gso_code) || '-' || trim(list_version))::text as province_key,

        -- edition
        trim(edition_year)::integer as edition_year,
        trim(period) as period,
        {{ text_or_null('methodology_version') }} as methodology_version,

        -- values as published
        {{ text_or_null('value') }}::numeric as value,
        {{ text_or_null('rank_published') }}::integer as rank_published,
        {{ text_or_null('scale_min') }}::numeric as scale_min,
        {{ text_or_null('scale_max') }}::numeric as scale_max,

        -- lineage
        {{ text_or_null('source_file') }} as source_file,
        {{ text_or_null('source_sheet') }} as source_sheet

    from deliveries
    where delivery_rank = 1

)

select * from renamed
