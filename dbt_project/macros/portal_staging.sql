{#
    The staging SQL of portal dossiers and their events, shared by the staging views and the
    incremental build of fct_dossiers_base.

    portal_dossiers(): one row per dossier, the latest visible delivery of each dossier code,
    cast to types (model stg_portal__dossiers). With `dossier_ids_sql` (a SELECT of dossier ids)
    only those dossiers: each one's deliveries are looked up on the index of
    nullif(trim(dossier_code), '') (ingest/runtime/ddl/007) and the latest visible one kept, instead of
    ranking every delivery ever loaded (PostgreSQL does not push a semi-join below a window).
    Both pick the same row: latest load start, then load id, then row number.

    portal_dossier_events(winning_deliveries_sql): the events of the winning deliveries
    (model stg_portal__dossier_events); `winning_deliveries_sql` selects their dossier_id,
    load_id and source_row_number (default: every row of stg_portal__dossiers).
#}
{% macro portal_dossiers(dossier_ids_sql=none) %}
    with

    visible_loads as (

        {{ visible_loads() }}

    ),

    {%- if dossier_ids_sql is none %}

    ranked as (

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

    deliveries as (

        select * from ranked where delivery_rank = 1

    ),

    {%- else %}

    deliveries as (

        select latest.*
        from ({{ dossier_ids_sql }}) as wanted (dossier_id)
        cross join lateral (
            select
                dossier.*,
                visible_loads.started_at as load_started_at
            from {{ source('raw', 'portal_dossiers') }} as dossier
            inner join visible_loads
                on visible_loads.load_id = dossier._load_id
            where {{ text_or_null('dossier.dossier_code') }} = wanted.dossier_id
            order by visible_loads.started_at desc, visible_loads.load_id desc, dossier._row_number desc
            limit 1
        ) as latest

    ),

    {%- endif %}

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

    )

    select * from renamed
{% endmacro %}

{% macro portal_dossier_events(winning_deliveries_sql=none) %}
    with

    winning_deliveries as (

    {%- if winning_deliveries_sql is none %}
        select
            dossier_id,
            load_id,
            source_row_number
        from {{ ref('stg_portal__dossiers') }}
    {%- else %}
        {{ winning_deliveries_sql }}
    {%- endif %}

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
{% endmacro %}
