"""PAR Warehouse: the Python side of the warehouse, one room per concern.

landing (files into raw), indices (index publications), reference (provinces, working days),
runtime (warehouse, DDL, load bookkeeping, marts lease, running dbt), reporting (site,
scorecard, status), pipeline (ingest a batch, rebuild the marts: what the CLI and the DAGs
call), cli (`parwh`), synthetic (sample data, demo). docs/ARCHITECTURE.md draws the rooms and
the import rules pyproject.toml enforces. Never imports Airflow; only the pipeline calls the gates.
"""

__version__ = "0.1.0"
