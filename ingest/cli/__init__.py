"""`parwh`: the command line of the PAR warehouse. Argument parsing and printing only; the work
is in ingest.pipeline (ingest, rebuild) and the rooms below it.

One module per command group: `warehouse` (warehouse, keygen), `loads` (ingest, publish),
`marts` (build, site, status, lease), `local` (sample, airflow, demo).

Exit codes: 0 everything loaded / built, 1 a file (or a row) was rejected or a gate / build failed,
2 usage or configuration errors (argparse's own convention), in one line, before any work: every
argument and every PARWH_* setting is checked first. 130 / 143 interrupted (SIGINT / SIGTERM).
"""

from ingest.cli.main import main

__all__ = ["main"]
