"""The warehouse runtime: the connection (embedded PostgreSQL or WAREHOUSE_URL), versioned DDL and
its migrator, audit.loads bookkeeping, the marts lease, running dbt and recording its nodes, task
failures, and the local Airflow environment.

See docs/OPERATIONS.md.
"""
