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

city_names as (

    select distinct names.name_key
    from {{ ref('int_province_names') }} as names
    inner join {{ ref('dim_province') }} as provinces
        on provinces.province_key = names.province_key
    where provinces.unit_type = 'city'

),

seen as (

    -- "Latest" = latest receipt (or submission), then latest load, then dossier code: the
    -- dossiers int_agency_seen keeps for each agency (a primary-key lookup each)
    select
        agency_seen.agency_code,
        name_holder.agency_name,
        province_holder.province_key,
        agency_seen.first_seen_at,
        agency_seen.last_seen_at,
        agency_seen.dossier_count
    from {{ ref('int_agency_seen') }} as agency_seen
    {{ dossier_lookup("facts.agency_name", 'agency_seen.name_dossier_id', 'name_holder') }}
    {{ dossier_lookup("facts.gso_code || '-' || facts.list_version as province_key", 'agency_seen.province_dossier_id', 'province_holder') }}

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
                            regexp_replace(named.name_words, '^(ubnd|uy ban nhan dan) (thanh pho|tp) ', ''), ' ', ''
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
