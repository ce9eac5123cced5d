"""The two jobs of the warehouse, written once for the `parwh` command line and the DAGs alike.

- `ingest_batch`: files in, loads out (land each file into raw, gate each load, file it away).
- `rebuild_marts`: dbt build, node results into audit, mart gate (one day or a range of days).
"""
