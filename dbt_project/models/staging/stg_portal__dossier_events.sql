-- Events (supplement requests and processing steps) of the delivery that won in
-- stg_portal__dossiers: events of superseded or invisible deliveries are dropped, so a
-- corrected re-delivery replaces the whole event history of its dossier.
with

winning_deliveries as (

    select
        dossier_id,
        load_id,
        source_row_number
    from {{ ref('stg_portal__dossiers') }}

),

events as (

    select
        event.*,
        winning.dossier_id,
        -- A file that lists the same dossier twice: keep the events of the winning row.
        row_number() over (
            partition by winning.dossier_id, event.event_kind, event.event_seq
            order by (event._row_number = winning.source_row_number) desc, event._row_number desc
        ) as event_rank
    from {{ source('raw', 'portal_dossier_events') }} as event
    inner join winning_deliveries as winning
        on winning.load_id = event._load_id
       and winning.dossier_id = trim(event.dossier_code)

),

renamed as (

    select
        -- ids
        dossier_id || ':' || event_kind || ':' || event_seq as dossier_event_id,
        dossier_id,
        _load_id as load_id,
        event_kind,
        event_seq,

        -- supplement requests
        {{ vietnam_text_to_timestamptz('requested_at') }} as requested_at,
        {{ vietnam_text_to_timestamptz('supplement_received_at') }} as supplement_received_at,
        {{ vietnam_text_to_timestamptz('previous_due_at') }} as previous_due_at,
        {{ vietnam_text_to_timestamptz('new_due_at') }} as new_due_at,

        -- processing steps
        {{ text_or_null('department') }} as department,
        {{ text_or_null('handler_hash') }} as handler_hash,
        {{ vietnam_text_to_timestamptz('occurred_at') }} as occurred_at,
        {{ text_or_null('step_status') }} as step_status,
        {{ vietnam_text_to_timestamptz('step_due_at') }} as step_due_at

    from events
    where event_rank = 1

)

select * from renamed
