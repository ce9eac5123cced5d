-- One row per procedure: the latest visible delivery of each procedure code.
with

visible_loads as (

    {{ visible_loads() }}

),

deliveries as (

    select
        catalogue_row.*,
        row_number() over (
            partition by {{ text_or_null('catalogue_row.procedure_code') }}
            order by visible_loads.started_at desc, visible_loads.load_id desc, catalogue_row._row_number desc
        ) as delivery_rank
    from {{ source('raw', 'procedure_catalogue') }} as catalogue_row
    inner join visible_loads
        on visible_loads.load_id = catalogue_row._load_id
    where {{ text_or_null('catalogue_row.procedure_code') }} is not null

),

renamed as (

    select
        -- ids
        trim(procedure_code) as procedure_id,
        _load_id as load_id,

        -- descriptions
        {{ text_or_null('procedure_name') }} as procedure_name,
        {{ text_or_null('field_name') }} as field_name,
        {{ text_or_null('online_level') }} as online_level,

        -- statutory time limit
        {{ text_or_null('statutory_limit_value') }}::numeric as statutory_limit_value,
        {{ text_or_null('statutory_limit_unit') }} as statutory_limit_unit,

        -- flags
        {{ text_to_flag('has_fee') }} as has_fee

    from deliveries
    where delivery_rank = 1

)

select * from renamed
