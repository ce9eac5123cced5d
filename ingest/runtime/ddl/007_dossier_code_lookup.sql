-- The nightly incremental build of marts.fct_dossiers_base looks up every delivery of each
-- changed dossier by its code as staging reads it (nullif(trim(dossier_code), '')), instead of
-- ranking every delivery ever loaded. The plain index on dossier_code cannot serve that expression.
create index if not exists portal_dossiers_trimmed_code
    on raw.portal_dossiers ((nullif(trim(dossier_code), '')));

-- The plain index on dossier_code served no query (every reader trims the code first) and cost
-- each landing a second index maintained in random order: as much time as the load's COPY.
drop index if exists raw.portal_dossiers_code;
