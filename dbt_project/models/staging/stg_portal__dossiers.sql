-- One row per dossier: the latest visible delivery of each dossier code, cast to types.
with

visible_loads as (

    {{ visible_loads() }}

),

deliveries as (

    select
        dossier.*,
        visible_loads.started_at as load_started_at,
        row_number() over (
            partition by {{ text_or_null('dossier.dossier_code') }}
            order by visible_loads.started_at desc, visible_loads.load_id desc, dossier._row_number desc
        ) as delivery_rank
    from {{ source('raw', 'portal_dossiers') }} as dossier
    inner join visible_loads
        on visible_loads.load_id = dossier._load_id
    where {{ text_or_null('dossier.dossier_code') }} is not null

),

renamed as (

    select
        -- ids
        trim(dossier_code) as dossier_id,
        _load_id as load_id,
        _row_number as source_row_number,
        {{ text_or_null('gso_code') }} as gso_code,
        {{ text_or_null('procedure_code') }} as procedure_code,
        {{ text_or_null('field_code') }} as field_code,
        {{ text_or_null('agency_code') }} as agency_code,

        -- descriptions
        {{ text_or_null('procedure_name') }} as procedure_name,
        {{ text_or_null('field_name') }} as field_name,
        {{ text_or_null('agency_name') }} as agency_name,
        {{ text_or_null('status') }} as status_delivered,
        {{ text_or_null('online_level') }} as online_level,

        -- codes and amounts
        coalesce({{ text_or_null('channel') }}, '1')::integer as channel,
        {{ text_or_null('status_code') }}::integer as status_code,
        {{ text_or_null('paid_online') }} as paid_online,
        {{ text_or_null('fee_amount') }}::numeric as fee_amount,
        {{ text_or_null('supplement_count') }}::integer as supplement_count_delivered,

        -- timestamps
        {{ vietnam_text_to_timestamptz('submitted_at') }} as submitted_at,
        {{ vietnam_text_to_timestamptz('received_at') }} as received_at,
        {{ vietnam_text_to_timestamptz('due_at') }} as due_at,
        {{ vietnam_text_to_timestamptz('finished_at') }} as finished_at,
        {{ vietnam_text_to_timestamptz('returned_at') }} as returned_at,
        {{ vietnam_text_to_timestamptz('refused_at') }} as refused_at,
        load_started_at,

        -- flags
        coalesce(trim(paid_online) in ('1', '2'), false) as is_paid_online,
        {{ text_to_flag('has_digitised_components') }} as has_digitised_components,
        {{ text_to_flag('has_electronic_result') }} as has_electronic_result,

        -- personal data, already hashed at landing
        {{ text_or_null('applicant_name_hash') }} as applicant_name_hash,
        {{ text_or_null('applicant_id_hash') }} as applicant_id_hash

    from deliveries
    where delivery_rank = 1

)

select * from renamed
