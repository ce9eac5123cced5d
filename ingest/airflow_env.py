"""Environment for running our DAGs locally (demo, tests, `make airflow`): SQLite metadata under
.local/airflow, our dags/ folder, no example DAGs, the warehouse URL handed to every task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingest.settings import paths


def airflow_environment(warehouse_url: str, airflow_home: Path | None = None) -> dict[str, str]:
    layout = paths()
    home = airflow_home or layout.local / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(layout.root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__COSMOS__ENABLE_CACHE": "False",
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        "WAREHOUSE_URL": warehouse_url,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join(p for p in (str(layout.root), env.get("PYTHONPATH", "")) if p),
    })
    return env


def airflow_command() -> list[str]:
    return [str(Path(sys.executable).with_name("airflow"))]


def migrate_metadata(env: dict[str, str]) -> None:
    """`airflow db migrate` (idempotent): creates or upgrades the SQLite metadata database."""
    subprocess.run([*airflow_command(), "db", "migrate"], env=env, check=True, capture_output=True, text=True)
