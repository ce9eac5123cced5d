-- One row per administrative procedure (TTHC): the latest catalogue delivery of each
-- procedure, plus the procedures seen only in dossier deliveries (is_in_catalogue false,
-- no statutory limit). Catalogue values win; a value the catalogue leaves empty comes from
-- the latest dossier that carries one.
with

catalogue as (

    select * from {{ ref('stg_portal__procedure_catalogue') }}

),

seen_in_dossiers as (

    -- "Latest" = latest receipt (or submission), then latest load, then dossier code: the
    -- dossiers int_procedure_seen keeps for each procedure (a primary-key lookup each)
    select
        procedure_seen.procedure_code,
        procedure_name_holder.procedure_name,
        field_name_holder.field_name,
        online_level_holder.online_level,
        procedure_seen.dossier_count
    from {{ ref('int_procedure_seen') }} as procedure_seen
    {{ dossier_lookup("facts.procedure_name", 'procedure_seen.procedure_name_dossier_id', 'procedure_name_holder') }}
    {{ dossier_lookup("facts.field_name", 'procedure_seen.field_name_dossier_id', 'field_name_holder') }}
    {{ dossier_lookup("facts.online_level", 'procedure_seen.online_level_dossier_id', 'online_level_holder') }}

),

procedure_ids as (

    select procedure_id from catalogue
    union
    select procedure_code as procedure_id from seen_in_dossiers

)

select
    -- ids
    procedure_ids.procedure_id::text as procedure_id,
    catalogue.load_id::bigint as catalogue_load_id,

    -- descriptions
    coalesce(catalogue.procedure_name, seen_in_dossiers.procedure_name)::text as procedure_name,
    coalesce(catalogue.field_name, seen_in_dossiers.field_name)::text as field_name,
    coalesce(catalogue.online_level, seen_in_dossiers.online_level)::text as online_level,

    -- statutory time limit
    catalogue.statutory_limit_value::numeric as statutory_limit_value,
    catalogue.statutory_limit_unit::text as statutory_limit_unit,
    -- Only units that convert without a receipt date (same rule as int_dossiers_clocked):
    -- calendar days and months depend on the holidays after each receipt, so they stay null here.
    (case catalogue.statutory_limit_unit
        when 'working_days' then catalogue.statutory_limit_value
        when 'hours' then ceil(catalogue.statutory_limit_value / {{ var('working_hours_per_day') }})
    end)::numeric(8, 2) as statutory_limit_working_days,

    -- flags
    catalogue.has_fee::boolean as has_fee,
    (catalogue.procedure_id is not null)::boolean as is_in_catalogue,
    coalesce(seen_in_dossiers.dossier_count, 0)::integer as dossier_count
from procedure_ids
left join catalogue
    on catalogue.procedure_id = procedure_ids.procedure_id
left join seen_in_dossiers
    on seen_in_dossiers.procedure_code = procedure_ids.procedure_id
