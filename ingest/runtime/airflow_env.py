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
        # Cosmos hands each dbt task the partial parse of the one before: seconds instead of a full
        # parse per task. The cache lives with this Airflow home, so test runs never share one.
        "AIRFLOW__COSMOS__ENABLE_CACHE": "True",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        # The nightly's dbt build (cosmos WATCHER producer) keeps the node statuses its sensors read
        # in memory and writes them to an Airflow Variable when it fails or is retried, instead of
        # rewriting that Variable after every node (which tripled the build's time on SQLite). Only a
        # hard kill of the producer loses them; the sensors then run their own node: same marts.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "WAREHOUSE_URL": warehouse_url,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": os.pathsep.join(p for p in (str(layout.root), env.get("PYTHONPATH", "")) if p),
        # `airflow standalone` starts its components as `airflow ...` from PATH: this venv's airflow.
        "PATH": os.pathsep.join(p for p in (str(Path(sys.executable).parent), env.get("PATH", "")) if p),
    })
    return env


def airflow_command() -> list[str]:
    return [str(Path(sys.executable).with_name("airflow"))]


def migrate_metadata(env: dict[str, str]) -> None:
    """`airflow db migrate` (idempotent): creates or upgrades the SQLite metadata database, in WAL mode."""
    subprocess.run([*airflow_command(), "db", "migrate"], env=env, check=True, capture_output=True, text=True)
    _write_ahead_log(Path(env["AIRFLOW_HOME"]) / "airflow.db")


def _write_ahead_log(database: Path) -> None:
    """SQLite's write-ahead log (kept in the file once set): a commit costs one sync instead of several,
    and every task state change and XCom of a run is a commit (the nightly's dbt build writes one
    per node event). Readers no longer wait for writers either."""
    import sqlite3
    from contextlib import closing

    if database.exists():
        with closing(sqlite3.connect(database)) as conn:
            conn.execute("pragma journal_mode=wal")


ADMIN_USER = "admin"


def write_admin_password(passwords_file: Path, password: str) -> Path:
    """The admin user of Airflow's simple auth manager (AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin):
    its password goes in the JSON file named by AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE."""
    import json

    if len(password) < 12:
        raise ValueError("AIRFLOW_ADMIN_PASSWORD must be set, at least 12 characters long")
    passwords_file.parent.mkdir(parents=True, exist_ok=True)
    passwords_file.write_text(json.dumps({ADMIN_USER: password}), encoding="utf-8")
    passwords_file.chmod(0o600)
    return passwords_file


def main(argv: list[str] | None = None) -> int:
    """`python -m ingest.runtime.airflow_env admin-user`: what docker-compose's airflow-init runs last."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["admin-user"]:
        print("usage: python -m ingest.runtime.airflow_env admin-user", file=sys.stderr)
        return 2
    target = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    if not target:
        print("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE is not set", file=sys.stderr)
        return 2
    try:
        path = write_admin_password(Path(target), os.environ.get("AIRFLOW_ADMIN_PASSWORD", ""))
    except ValueError as exc:
        print(f"airflow-init: {exc}", file=sys.stderr)
        return 2
    print(f"Airflow user {ADMIN_USER!r}: password written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
