"""PAR Warehouse ingestion package: readers, loader, audit writers and the warehouse runtime.

Never imports Airflow; the `parwh` CLI (ingest.cli) is the only module that calls the gates.
"""

__version__ = "0.1.0"
