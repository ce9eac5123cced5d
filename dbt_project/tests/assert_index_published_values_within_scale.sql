-- Published index values lie within the scale of their component (the load checks quarantine
-- a publication that does not; this guards the marts against a check being bypassed).
select
    fct_index_scores_id,
    value,
    scale_min,
    scale_max
from {{ ref('fct_index_scores') }}
where not is_derived
    and (value < scale_min or value > scale_max)
