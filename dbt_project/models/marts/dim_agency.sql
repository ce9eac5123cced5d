-- One row per processing agency (DonViXuLy) seen in dossier deliveries: its latest name,
-- its level inferred from the name, the province of its latest dossier and when it was seen.
--
-- Level rule, on the name folded to lower-case ASCII words (macro fold_name_words), first
-- match wins; "UBND" and "Ủy ban nhân dân" are the same word:
--   UBND xã / phường / thị trấn / đặc khu ...              -> commune
--   UBND huyện / quận / thị xã ...                          -> district (a level abolished on 2025-07-01)
--   UBND tỉnh ...                                           -> province
--   UBND thành phố / TP. <name of a centrally governed city> -> province ("UBND Thành phố Huế")
--   UBND thành phố / TP. <any other name>                   -> district (a provincial city,
--                                                              "UBND thành phố Thủ Dầu Một")
--   Sở ...                                                  -> province (a provincial department)
--   anything else                                           -> null (not guessed; a warning test lists them)
with

dossiers as (

    select
        agency_code,
        agency_name,
        gso_code,
        {{ province_list_version('coalesce(received_at, submitted_at)') }} as list_version,
        dossier_id,
        coalesce(received_at, submitted_at) as seen_at,
        load_started_at
    from {{ ref('stg_portal__dossiers') }}
    where agency_code is not null

),

city_names as (

    select distinct names.name_key
    from {{ ref('int_province_names') }} as names
    inner join {{ ref('dim_province') }} as provinces
        on provinces.province_key = names.province_key
    where provinces.unit_type = 'city'

),

seen as (

    -- "Latest" = latest receipt (or submission), then latest load, then dossier code.
    select
        agency_code,
        (array_agg(agency_name order by seen_at desc nulls last, load_started_at desc, dossier_id desc)
            filter (where agency_name is not null))[1] as agency_name,
        (array_agg(gso_code || '-' || list_version order by seen_at desc nulls last, load_started_at desc, dossier_id desc)
            filter (where gso_code is not null))[1] as province_key,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        count(*) as dossier_count
    from dossiers
    group by agency_code

),

named as (

    select
        seen.*,
        {{ fold_name_words('seen.agency_name') }} || ' ' as name_words
    from seen

),

leveled as (

    select
        named.*,
        case
            when name_words ~ '^(ubnd|uy ban nhan dan) (xa|phuong|thi tran|dac khu) ' then 'commune'
            when name_words ~ '^(ubnd|uy ban nhan dan) (huyen|quan|thi xa) ' then 'district'
            when name_words ~ '^(ubnd|uy ban nhan dan) tinh ' then 'province'
            when name_words ~ '^(ubnd|uy ban nhan dan) (thanh pho|tp) ' then
                case
                    when exists (
                        select 1
                        from city_names
                        where city_names.name_key = replace(
                            regexp_replace(name_words, '^(ubnd|uy ban nhan dan) (thanh pho|tp) ', ''), ' ', ''
                        )
                    ) then 'province'
                    else 'district'
                end
            when name_words ~ '^so ' then 'province'
        end as level
    from named

)

select
    -- ids
    agency_code::text as agency_id,
    province_key::text as province_key,
    split_part(province_key, '-', 1)::text as gso_code,
    split_part(province_key, '-', 2)::text as list_version,

    -- descriptions
    agency_name::text as agency_name,
    level::text as level,

    -- when seen
    first_seen_at::timestamptz as first_seen_at,
    last_seen_at::timestamptz as last_seen_at,
    dossier_count::integer as dossier_count
from leveled
