-- One row per dossier: the latest visible delivery of each dossier code, cast to types.
-- The SQL is macro portal_dossiers, which the incremental fct_dossiers_base also calls on the
-- changed dossiers only.
{{ portal_dossiers() }}
