"""`parwh sample`, `parwh airflow` and `parwh demo`: what a developer runs on one machine."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date
from pathlib import Path

from ingest.cli.common import EXIT_OK, iso_date, positive_int, warehouse_url
from ingest.runtime import airflow_env, dbt_runner
from ingest.synthetic import demo, sample


def cmd_sample(args: argparse.Namespace) -> int:
    written = sample.generate(Path(args.out), args.dossiers, seed=args.seed, until=args.until)
    for path in written:
        print(path)
    print(f"{len(written)} synthetic files written to {args.out}", file=sys.stderr)
    return EXIT_OK


def cmd_airflow(args: argparse.Namespace) -> int:
    """Run an airflow command with the project's local setup (SQLite metadata, our dags/, the warehouse)."""
    url = warehouse_url()
    env = airflow_env.airflow_environment(url)
    airflow_env.migrate_metadata(env)
    dbt_runner.run_dbt(["parse"], url)  # the manifest the cosmos task group renders from
    return subprocess.run([*airflow_env.airflow_command(), *args.airflow_args], env=env).returncode


def cmd_demo(args: argparse.Namespace) -> int:
    return demo.run(dossiers=args.dossiers)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write synthetic portal exports (clearly labelled synthetic)")
    p.add_argument("--dossiers", type=positive_int, default=2000)
    p.add_argument("--out", default="landing")
    p.add_argument("--seed", type=int, default=20250701)
    p.add_argument("--until", type=iso_date, default=date(2026, 11, 20), help="last receipt date (default 2026-11-20)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("airflow", help="run an airflow command locally, e.g. `parwh airflow standalone`")
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_airflow)

    p = sub.add_parser("demo", help="sample data -> nightly DAG (airflow dags test) -> report site")
    p.add_argument("--dossiers", type=positive_int, default=2000)
    p.set_defaults(func=cmd_demo)
