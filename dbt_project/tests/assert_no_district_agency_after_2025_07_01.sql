{{ config(severity='warn') }}
-- The district level was abolished on 2025-07-01 (two-tier local government). An agency
-- classified as a district that received dossiers from then on is either misnamed in the
-- export or the level rule in dim_agency needs a new case.
select
    agency_id,
    agency_name,
    last_seen_at
from {{ ref('dim_agency') }}
where level = 'district'
  and last_seen_at >= ('2025-07-01 00:00:00'::timestamp at time zone {{ vietnam_timezone() }})
