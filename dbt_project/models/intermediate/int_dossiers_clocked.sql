-- Working-day clock and outcome of every dossier (DOMAIN.md §1, "Counting time").
-- Working-day counts are differences of dim_date.working_day_number, so holidays,
-- substituted days off and make-up Saturdays are all handled by the calendar.
-- The SQL is macro clock_dossiers, which the incremental fct_dossiers also calls on the changed dossiers.
{{ clock_dossiers() }}
