-- One row per published value: index × period × province (on its list) × component, from the
-- latest visible delivery of that key. A republished edition replaces the earlier values
-- key by key; a quarantined publication never reaches here.
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
                score_row.edition_year,
                score_row.period,
                score_row.gso_code,
                score_row.list_version,
                score_row.component
            order by visible_loads.started_at desc, visible_loads.load_id desc, score_row._row_number desc
        ) as delivery_rank
    from {{ source('raw', 'index_scores') }} as score_row
    inner join visible_loads
        on visible_loads.load_id = score_row._load_id

),

renamed as (

    select
        -- ids
        (index_code || '|' || period || '|' || gso_code || '-' || list_version || '|' || component)::text
            as index_score_id,
        _load_id as load_id,
        trim(index_code) as index_code,
        trim(component) as component,
        trim(gso_code) as gso_code,
        trim(list_version) as list_version,
        (trim(gso_code) || '-' || trim(list_version))::text as province_key,

        -- edition
        trim(edition_year)::integer as edition_year,
        trim(period) as period,
        {{ text_or_null('methodology_version') }} as methodology_version,
        {{ text_or_null('universe') }}::integer as universe,

        -- values as published
        {{ text_or_null('value') }}::numeric as value,
        {{ text_or_null('rank_published') }}::integer as rank_published,
        {{ text_or_null('tier') }} as tier,
        {{ text_or_null('scale_min') }}::numeric as scale_min,
        {{ text_or_null('scale_max') }}::numeric as scale_max,

        -- lineage
        unit_name as published_name,
        {{ text_or_null('source_file') }} as source_file,
        {{ text_or_null('source_sheet') }} as source_sheet,
        {{ text_or_null('source_reference') }} as source_reference

    from deliveries
    where delivery_rank = 1

)

select * from renamed
