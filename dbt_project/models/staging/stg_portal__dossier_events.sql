-- Events (supplement requests and processing steps) of the delivery that won in
-- stg_portal__dossiers: events of superseded or invisible deliveries are dropped, so a
-- corrected re-delivery replaces the whole event history of its dossier.
-- The SQL is macro portal_dossier_events, which the incremental fct_dossiers_base also calls
-- on the winning deliveries of the changed dossiers only.
{{ portal_dossier_events() }}
