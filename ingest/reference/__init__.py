"""Reference data read from the dbt seeds (dbt_project/seeds/, the only copy): the province lists
and name resolver (`provinces`) and the Vietnamese working-day calendar (`working_days`).

See docs/DOMAIN.md.
"""
